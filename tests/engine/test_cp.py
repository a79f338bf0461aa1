"""docker cp both ways with the real CLI and docker-py, on running and stopped containers."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import docker

from tests.engine.conftest import EngineProcess


def cp(cli: EngineProcess, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "cp", *args], env=cli.docker_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def run_detached(cli: EngineProcess, name: str, *flags: str) -> None:
    result = cli.docker("run", "-d", "--name", name, *flags, "busybox", "sleep", "300")
    assert result.returncode == 0, result.stderr


def test_a_file_goes_in_and_the_containers_files_come_out(
    cli: EngineProcess, tmp_path: Path
) -> None:
    run_detached(cli, "cp-run")
    (tmp_path / "f.txt").write_text("hello\n")
    assert cp(cli, str(tmp_path / "f.txt"), "cp-run:/tmp/").returncode == 0
    assert cli.docker("exec", "cp-run", "cat", "/tmp/f.txt").stdout == "hello\n"
    hostname = cp(cli, "cp-run:/etc/hostname", "-")
    with tarfile.open(fileobj=io.BytesIO(hostname.stdout.encode())) as tar:
        member = tar.extractfile("hostname")
        assert member is not None
        inside = cli.docker("exec", "cp-run", "cat", "/etc/hostname").stdout
        assert member.read().decode() == inside  # the engine's file, not the image's
    assert cp(cli, "cp-run:/etc", str(tmp_path)).returncode == 0
    assert (tmp_path / "etc" / "passwd").read_text().startswith("root:")
    assert cp(cli, "cp-run:/etc/.", str(tmp_path / "content")).returncode == 0
    assert (tmp_path / "content" / "passwd").is_file()


def test_a_directory_with_a_symlink_goes_in_as_it_is(cli: EngineProcess, tmp_path: Path) -> None:
    run_detached(cli, "cp-dir")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "y").write_text("y")
    (tmp_path / "dir" / "link").symlink_to("/etc/passwd")
    assert cp(cli, str(tmp_path / "dir"), "cp-dir:/newdir").returncode == 0
    listing = cli.docker("exec", "cp-dir", "sh", "-c", "readlink /newdir/link; cat /newdir/sub/y")
    assert listing.stdout == "/etc/passwd\ny"


def test_a_stopped_container_takes_and_gives_files(cli: EngineProcess, tmp_path: Path) -> None:
    run_detached(cli, "cp-stop")
    assert cli.docker("stop", "-t", "0", "cp-stop").returncode == 0
    (tmp_path / "late.txt").write_text("while stopped\n")
    assert cp(cli, str(tmp_path / "late.txt"), "cp-stop:/tmp/").returncode == 0
    assert cp(cli, "cp-stop:/tmp/late.txt", str(tmp_path / "back.txt")).returncode == 0
    assert (tmp_path / "back.txt").read_text() == "while stopped\n"
    container_id = cli.docker("inspect", "-f", "{{.Id}}", "cp-stop").stdout.strip()
    assert f"{container_id}/rootfs" not in Path("/proc/self/mountinfo").read_text()
    assert cli.docker("start", "cp-stop").returncode == 0
    assert cli.docker("exec", "cp-stop", "cat", "/tmp/late.txt").stdout == "while stopped\n"


def test_symlinks_out_of_the_root_stay_inside(cli: EngineProcess, tmp_path: Path) -> None:
    run_detached(cli, "cp-esc")
    made = cli.docker("exec", "cp-esc", "sh", "-c",
                      "ln -s / /rootlink && ln -s ../../../../../../etc /tmp/up")  # fmt: skip
    assert made.returncode == 0
    for path in ("/rootlink/etc/passwd", "/tmp/up/passwd"):
        assert cp(cli, f"cp-esc:{path}", str(tmp_path / "out")).returncode == 0
        inside = cli.docker("exec", "cp-esc", "cat", "/etc/passwd").stdout
        assert (tmp_path / "out").read_text() == inside
        (tmp_path / "out").unlink()
    (tmp_path / "planted").write_text("p")
    assert cp(cli, str(tmp_path / "planted"), "cp-esc:/rootlink/tmp/").returncode == 0
    assert cli.docker("exec", "cp-esc", "cat", "/tmp/planted").stdout == "p"
    assert not Path("/tmp/planted").exists()


def test_dockers_errors(cli: EngineProcess, tmp_path: Path) -> None:
    run_detached(cli, "cp-err", "--read-only")
    missing = cp(cli, "cp-err:/nope", str(tmp_path))
    assert "Could not find the file /nope in container cp-err" in missing.stderr
    (tmp_path / "f").write_text("x")
    read_only = cp(cli, str(tmp_path / "f"), "cp-err:/tmp/")
    assert "container rootfs is marked read-only" in read_only.stderr
    with cli.client() as api:
        gone = api.get("/containers/no-such-box/archive", params={"path": "/"})
        assert (gone.status_code, gone.json()["message"]) == (404, "No such container: no-such-box")
        empty = api.get("/containers/cp-err/archive", params={"path": ""})
        assert (empty.status_code, empty.json()["message"]) == (
            400, "bad parameter: path cannot be empty")  # fmt: skip


def test_a_volume_is_written_at_its_destination(cli: EngineProcess, tmp_path: Path) -> None:
    data = tmp_path / "bound"
    data.mkdir()
    run_detached(cli, "cp-vol", "-v", f"{data}:/data")
    (tmp_path / "f").write_text("into the bind")
    assert cp(cli, str(tmp_path / "f"), "cp-vol:/data/").returncode == 0
    assert (data / "f").read_text() == "into the bind"
    assert cli.docker("exec", "cp-vol", "cat", "/data/f").stdout == "into the bind"


def test_docker_py_put_and_get_archive(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host)
    try:
        container = client.containers.create("busybox", ["sleep", "300"], name="cp-py")
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            info = tarfile.TarInfo("from-py.txt")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"py\n"))
        assert container.put_archive("/", out.getvalue()) is True
        chunks, stat = container.get_archive("/from-py.txt")
        assert stat["name"] == "from-py.txt" and stat["size"] == 3
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            member = tar.extractfile("from-py.txt")
            assert member is not None and member.read() == b"py\n"
    finally:
        client.close()
