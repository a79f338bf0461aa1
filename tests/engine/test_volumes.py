"""Binds, tmpfs mounts and volumes against the real engine, with the docker CLI and docker-py.

What a container writes through a mount is on the host afterwards; a read-only mount
refuses writes; a volume outlives its container, starts with the image's files, and is
removed with `rm -v` when anonymous; a volume in use cannot be removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


@pytest.fixture
def cli(engine: EngineProcess) -> Iterator[EngineProcess]:
    """The engine with busybox pulled; containers and volumes a test made are removed."""
    assert engine.docker("pull", "busybox").returncode == 0
    before = set(engine.docker("ps", "-aq", "--no-trunc").stdout.split())
    volumes_before = set(engine.docker("volume", "ls", "-q").stdout.split())
    yield engine
    for leftover in set(engine.docker("ps", "-aq", "--no-trunc").stdout.split()) - before:
        engine.docker("rm", "-f", leftover)
    for volume in set(engine.docker("volume", "ls", "-q").stdout.split()) - volumes_before:
        engine.docker("volume", "rm", "-f", volume)


def _ok(cli: EngineProcess, *args: str) -> str:
    result = cli.docker(*args)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def _mounts(cli: EngineProcess, name: str) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = json.loads(_ok(cli, "inspect", "-f", "{{json .Mounts}}", name))
    return mounts


def _volumes(cli: EngineProcess) -> set[str]:
    return set(_ok(cli, "volume", "ls", "-q").split())


def test_a_bind_mount_writes_through_to_the_host(cli: EngineProcess, tmp_path: Path) -> None:
    _ok(cli, "run", "--name", "binder", "-v", f"{tmp_path}:/data", "busybox",
        "sh", "-c", "echo hi > /data/note")  # fmt: skip
    assert (tmp_path / "note").read_text() == "hi\n"
    assert _mounts(cli, "binder") == [{
        "Type": "bind", "Source": str(tmp_path), "Destination": "/data", "Mode": "",
        "RW": True, "Propagation": "rprivate"}]  # fmt: skip


def test_a_read_only_bind_refuses_writes(cli: EngineProcess, tmp_path: Path) -> None:
    (tmp_path / "keep").write_text("mine")
    result = cli.docker("run", "--rm", "-v", f"{tmp_path}:/data:ro", "busybox",
                        "sh", "-c", "cat /data/keep && echo x > /data/keep")  # fmt: skip
    assert result.returncode != 0
    assert result.stdout == "mine"
    assert "Read-only file system" in result.stderr
    assert (tmp_path / "keep").read_text() == "mine"


def test_a_missing_bind_source_is_created_for_v_and_refused_for_mount(
    cli: EngineProcess, tmp_path: Path
) -> None:
    missing = tmp_path / "made" / "here"
    _ok(cli, "run", "--rm", "-v", f"{missing}:/data", "busybox", "touch", "/data/x")
    assert (missing / "x").exists()
    before = _ok(cli, "ps", "-aq")
    refused = cli.docker("run", "--rm", "--mount", f"type=bind,src={tmp_path}/nope,dst=/data",
                         "busybox", "true")  # fmt: skip
    assert refused.returncode == 125
    assert f"bind source path does not exist: {tmp_path}/nope" in refused.stderr
    assert _ok(cli, "ps", "-aq") == before


def test_mount_bind_read_only(cli: EngineProcess, tmp_path: Path) -> None:
    result = cli.docker("run", "--rm", "--mount",
                        f"type=bind,source={tmp_path},target=/data,readonly",
                        "busybox", "touch", "/data/x")  # fmt: skip
    assert result.returncode != 0
    assert not (tmp_path / "x").exists()


def test_tmpfs_mounts_have_their_size_and_dockers_options(cli: EngineProcess) -> None:
    out = _ok(cli, "run", "--rm", "--tmpfs", "/scratch:size=1m", "busybox",
              "sh", "-c", "grep ' /scratch ' /proc/mounts; "
              "dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1 | grep -o 'No space.*'",
              )  # fmt: skip
    line = out.splitlines()[0].split()
    assert line[2] == "tmpfs"
    options = line[3].split(",")
    assert {"nosuid", "nodev", "noexec", "size=1024k"} <= set(options)
    assert "No space left on device" in out
    mounted = _ok(cli, "run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=2097152",
                  "busybox", "grep", " /t ", "/proc/mounts")  # fmt: skip
    assert "size=2048k" in mounted


def test_a_named_volume_outlives_its_container_and_is_refused_while_used(
    cli: EngineProcess,
) -> None:
    _ok(cli, "volume", "create", "--label", "team=core", "shared-data")
    _ok(cli, "run", "--name", "writer", "-v", "shared-data:/data", "busybox",
        "sh", "-c", "echo kept > /data/f")  # fmt: skip
    assert _ok(cli, "run", "--rm", "-v", "shared-data:/d", "busybox", "cat", "/d/f") == "kept\n"
    inspected = json.loads(_ok(cli, "volume", "inspect", "shared-data"))[0]
    assert (inspected["Driver"], inspected["Labels"]) == ("local", {"team": "core"})
    assert (Path(inspected["Mountpoint"]) / "f").read_text() == "kept\n"
    assert "shared-data" in _ok(cli, "volume", "ls", "--filter", "label=team=core", "-q")
    refused = cli.docker("volume", "rm", "shared-data")
    assert refused.returncode != 0
    assert "volume is in use" in refused.stderr
    _ok(cli, "rm", "writer")
    _ok(cli, "volume", "rm", "shared-data")
    assert "shared-data" not in _volumes(cli)
    assert not Path(inspected["Mountpoint"]).exists()


def test_a_new_volume_starts_with_the_images_files(cli: EngineProcess) -> None:
    listing = _ok(cli, "run", "--rm", "-v", "etc-copy:/etc", "busybox", "cat", "/etc/passwd")
    assert listing.startswith("root:x:0:0:")
    mountpoint = Path(_ok(cli, "volume", "inspect", "-f", "{{.Mountpoint}}", "etc-copy").strip())
    assert (mountpoint / "passwd").read_text() == listing
    empty = _ok(cli, "run", "--rm", "--mount", "type=volume,src=no-copy,dst=/etc,volume-nocopy",
                "busybox", "ls", "-A", "/etc")  # fmt: skip
    # only the mount points of the container's own /etc files, as under Docker
    assert sorted(empty.split()) == ["hostname", "hosts", "resolv.conf"]


def test_anonymous_volumes_go_with_rm_v_and_with_run_rm(cli: EngineProcess) -> None:
    before = _volumes(cli)
    _ok(cli, "run", "--name", "anon", "-v", "/data", "busybox", "true")
    (mount,) = _mounts(cli, "anon")
    assert (mount["Type"], mount["Destination"], mount["Driver"]) == ("volume", "/data", "local")
    assert len(mount["Name"]) == 64
    assert _volumes(cli) == before | {mount["Name"]}
    _ok(cli, "rm", "-v", "anon")
    assert _volumes(cli) == before
    _ok(cli, "run", "--rm", "-v", "/scratch", "busybox", "true")
    assert _volumes(cli) == before


def test_volumes_from_shares_another_containers_mounts(cli: EngineProcess, tmp_path: Path) -> None:
    _ok(cli, "create", "--name", "holder", "-v", "from-data:/data", "-v", f"{tmp_path}:/host",
        "busybox", "true")  # fmt: skip
    _ok(cli, "run", "--rm", "--volumes-from", "holder", "busybox",
        "sh", "-c", "echo a > /data/a && echo b > /host/b")  # fmt: skip
    assert (tmp_path / "b").read_text() == "b\n"
    result = cli.docker("run", "--rm", "--volumes-from", "holder:ro", "busybox",
                        "touch", "/data/c")  # fmt: skip
    assert result.returncode != 0 and "Read-only file system" in result.stderr


def test_prune_takes_unused_anonymous_volumes_and_named_ones_only_with_all(
    cli: EngineProcess,
) -> None:
    _ok(cli, "volume", "create", "named-unused")
    _ok(cli, "create", "--name", "anon-holder", "-v", "/data", "busybox", "true")
    (mount,) = _mounts(cli, "anon-holder")
    _ok(cli, "rm", "anon-holder")  # without -v: its volume stays, unused
    with cli.client() as client:
        pruned = client.post("/v1.44/volumes/prune").json()
        assert mount["Name"] in pruned["VolumesDeleted"]  # with any other test's leftovers
        assert "named-unused" not in pruned["VolumesDeleted"]
        assert "named-unused" in _volumes(cli)
        everything = client.post("/v1.44/volumes/prune",
                                 params={"filters": json.dumps({"all": ["true"]})}).json()
        assert "named-unused" in everything["VolumesDeleted"]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-v", "/tmp:relative"], "mount path must be absolute"),
        (["-v", "/tmp:/data:bogus"], "invalid mode: bogus"),
        (["-v", "/tmp:/data", "-v", "/var:/data"], "Duplicate mount point: /data"),
        (["--tmpfs", "/t:size=lots"], "invalid tmpfs size 'lots'"),
        (["--volumes-from", "no-such-container"], "No such container: no-such-container"),
        (["--mount", "type=volume,dst=/d,volume-driver=nfs"], "volume-driver"),
    ],
)
def test_bad_mounts_are_refused_and_leave_nothing(
    cli: EngineProcess, flags: list[str], words: str
) -> None:
    before = (_ok(cli, "ps", "-aq"), _volumes(cli))
    result = cli.docker("run", "--rm", *flags, "busybox", "true")
    assert result.returncode == 125, result.stderr
    assert words in result.stderr
    assert (_ok(cli, "ps", "-aq"), _volumes(cli)) == before


def test_a_relative_bind_path_is_refused_as_a_volume_name(cli: EngineProcess) -> None:
    # The docker CLI resolves ./x itself since 23.0; the API still gets it from other clients.
    body = {"Image": "busybox", "HostConfig": {"Binds": ["./relative:/data"]}}
    with cli.client() as client:
        response = client.post("/v1.44/containers/create", json=body)
    assert response.status_code == 400
    assert "includes invalid characters for a local volume name" in response.json()["message"]
    assert "If you intended to pass a host directory, use absolute path" in response.text


def test_docker_py_binds_and_volumes(cli: EngineProcess, tmp_path: Path) -> None:
    client = docker.DockerClient(base_url=cli.host, version="auto", timeout=60)
    try:
        output = client.containers.run(
            "busybox", ["sh", "-c", "echo py > /host/f; ls /vol"], remove=True,
            volumes={str(tmp_path): {"bind": "/host", "mode": "rw"},
                     "py-vol": {"bind": "/vol", "mode": "ro"}})  # fmt: skip
        assert output == b""
        assert (tmp_path / "f").read_text() == "py\n"
        volume = client.volumes.get("py-vol")
        assert volume.attrs["Driver"] == "local"
        volume.remove()
        assert "py-vol" not in {v.name for v in client.volumes.list()}
    finally:
        client.close()
