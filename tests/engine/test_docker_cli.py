"""The real docker CLI against tuibox's engine: the commands of the quick start.

Whichever docker CLI is on PATH, 20.10 (Debian's docker.io) or newer (28.x); where the two
word a message differently, a test accepts each one's exact text.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import time

import pytest

from tests.engine.conftest import EngineProcess, require_engine_prerequisites

pytestmark = [pytest.mark.engine, pytest.mark.dockercli]


@pytest.fixture(autouse=True)
def _docker_cli() -> None:
    require_engine_prerequisites()  # a missing docker CLI skips, or fails under CI


def test_docker_version_names_the_tuibox_engine(engine: EngineProcess) -> None:
    result = engine.docker("version")
    assert result.returncode == 0, result.stderr
    assert "Server: tuibox engine" in result.stdout
    assert re.search(r"API version:\s+1\.44", result.stdout)


def test_run_rm_hello_world_pulls_through_the_mirror(engine: EngineProcess) -> None:
    engine.docker("rmi", "-f", "hello-world")
    result = engine.docker("run", "--rm", "hello-world")
    assert result.returncode == 0, result.stderr + engine.log_text()[-3000:]
    assert "Unable to find image 'hello-world:latest' locally" in result.stderr
    assert "Pulling from library/hello-world" in result.stderr
    assert "Pull complete" in result.stderr
    assert "Status: Downloaded newer image for hello-world:latest" in result.stderr
    assert "Hello from tuibox" in result.stdout
    listed = engine.docker("ps", "-a", "--format", "{{.Image}}")
    assert "hello-world" not in listed.stdout.split()


def test_detached_busybox_lifecycle(engine: EngineProcess) -> None:
    run = engine.docker("run", "-d", "--name", "cli-sleeper", "busybox", "sleep", "300")
    assert run.returncode == 0, run.stderr + engine.log_text()[-3000:]
    container_id = run.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", container_id)
    try:
        ps = engine.docker("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}")
        assert f"{container_id[:12]} cli-sleeper Up" in ps.stdout
        stop = engine.docker("stop", "-t", "1", "cli-sleeper")
        assert stop.returncode == 0, stop.stderr
        assert stop.stdout.strip() == "cli-sleeper"
        ps = engine.docker("ps", "-a", "--filter", "name=cli-sleeper", "--format", "{{.Status}}")
        assert ps.stdout.startswith("Exited (")
    finally:
        removed = engine.docker("rm", "-f", "cli-sleeper")
    assert removed.returncode == 0, removed.stderr
    assert "cli-sleeper" not in engine.docker("ps", "-a").stdout


def test_logs_show_both_streams(engine: EngineProcess) -> None:
    script = "echo out-line; echo err-line >&2; echo second"
    run = engine.docker("run", "--name", "cli-logs", "busybox", "sh", "-c", script)
    try:
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines() == ["out-line", "second"]
        assert "err-line" in run.stderr
        logs = engine.docker("logs", "cli-logs")
        assert logs.stdout.splitlines() == ["out-line", "second"]
        assert logs.stderr.strip() == "err-line"
        tail = engine.docker("logs", "--tail", "2", "-t", "cli-logs")
        tail_lines = (tail.stdout + tail.stderr).splitlines()
        assert len(tail_lines) == 2
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z "
        assert all(re.match(stamp + r"(err-line|second)$", line) for line in tail_lines)
    finally:
        engine.docker("rm", "-f", "cli-logs")


def test_follow_logs_end_when_the_container_exits(engine: EngineProcess) -> None:
    run = engine.docker(
        "run",
        "-d",
        "--name",
        "cli-follow",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo tick $i; sleep 0.3; done",
    )
    try:
        assert run.returncode == 0, run.stderr
        started = time.monotonic()
        logs = engine.docker("logs", "-f", "cli-follow", timeout=30)
        assert logs.stdout.splitlines() == ["tick 1", "tick 2", "tick 3"]
        assert time.monotonic() - started < 20
    finally:
        engine.docker("rm", "-f", "cli-follow")


def test_exit_code_comes_back_through_docker_run(engine: EngineProcess) -> None:
    run = engine.docker("run", "--rm", "busybox", "sh", "-c", "exit 7")
    assert run.returncode == 7


def test_images_and_rmi(engine: EngineProcess) -> None:
    pull = engine.docker("pull", "busybox")
    assert pull.returncode == 0, pull.stderr
    assert "docker.io/library/busybox:latest" in pull.stdout
    tag = engine.docker("tag", "busybox", "localtest/copy:v1")
    assert tag.returncode == 0, tag.stderr
    images = engine.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    lines = images.stdout.splitlines()
    busybox_id = next(line.split()[1] for line in lines if line.startswith("busybox:latest"))
    assert f"localtest/copy:v1 {busybox_id}" in lines
    rmi = engine.docker("rmi", "localtest/copy:v1")
    assert rmi.returncode == 0, rmi.stderr
    assert "Untagged: localtest/copy:v1" in rmi.stdout
    assert "localtest/copy" not in engine.docker("images").stdout


def test_rmi_refuses_an_image_a_container_uses(engine: EngineProcess) -> None:
    assert engine.docker("pull", "hello-world").returncode == 0
    run = engine.docker("create", "--name", "cli-user", "hello-world")
    try:
        assert run.returncode == 0, run.stderr
        refused = engine.docker("rmi", "hello-world")
        assert refused.returncode == 1
        assert "(must force) - container" in refused.stderr
        assert "hello-world" in engine.docker("images").stdout
    finally:
        engine.docker("rm", "-f", "cli-user")


def test_error_messages_are_docker_shaped(engine: EngineProcess) -> None:
    missing = engine.docker("logs", "no-such-container")
    assert missing.returncode == 1
    assert missing.stderr.strip() in (
        # 23.0 and newer print the daemon's message for the 404 of GET /containers/{id}/json;
        "Error response from daemon: No such container: no-such-container",
        # 20.10's client prints a text of its own for any 404 there (the 500 of an engine
        # that got the lookup wrong would still show as "Error response from daemon: ...").
        "Error: No such container: no-such-container",
    )
    bad_ref = engine.docker("pull", "bad//name")
    assert bad_ref.returncode != 0
    assert "invalid reference format" in bad_ref.stderr


def _rootfs_tar() -> bytes:
    """A minimal rootfs: busybox-static and an `sh` link to it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(link)
    return buffer.getvalue()


def test_import_a_rootfs_tarball_and_run_it(engine: EngineProcess) -> None:
    result = subprocess.run(
        ["docker", "import", "-", "imported/rootfs:v1"],
        input=_rootfs_tar(),
        env=engine.docker_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image_id = result.stdout.decode().strip()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image_id)
    try:
        run = engine.docker("run", "--rm", "imported/rootfs:v1", "/bin/sh", "-c", "echo imported")
        assert run.returncode == 0, run.stderr
        assert run.stdout == "imported\n"
    finally:
        engine.docker("rmi", "imported/rootfs:v1")


def test_a_hub_image_missing_from_the_mirror_is_not_found(engine: EngineProcess) -> None:
    result = engine.docker("pull", "tuibox-no-such-image")
    assert result.returncode == 1
    assert "pull access denied for tuibox-no-such-image" in result.stderr


def test_parallel_runs_each_get_their_own_output(engine: EngineProcess) -> None:
    assert engine.docker("pull", "busybox").returncode == 0
    runs = [
        subprocess.Popen(
            ["docker", "run", "--rm", "busybox", "sh", "-c", f"echo run-{n}; exit {n}"],
            env=engine.docker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results = [(run.communicate(timeout=60), run.returncode) for run in runs]
    for n, ((stdout, stderr), code) in enumerate(results):
        assert (stdout, code) == (f"run-{n}\n", n), stderr
    assert engine.docker("ps", "-aq").stdout.strip() == ""


def test_forced_rmi_keeps_a_stopped_container_startable(engine: EngineProcess) -> None:
    imported = subprocess.run(
        ["docker", "import", "-", "doomed:v1"], input=_rootfs_tar(),
        env=engine.docker_env(), capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    create = engine.docker("create", "--name", "orphan", "doomed:v1", "/bin/sh", "-c", "echo here")
    try:
        assert create.returncode == 0, create.stderr
        removed = engine.docker("rmi", "-f", "doomed:v1")
        assert removed.returncode == 0, removed.stderr
        assert "Deleted: sha256:" in removed.stdout
        start = engine.docker("start", "-a", "orphan")
        assert start.returncode == 0, start.stderr
        assert start.stdout == "here\n"
    finally:
        engine.docker("rm", "-f", "orphan")
