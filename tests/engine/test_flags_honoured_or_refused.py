"""The docker CLI and docker-py against the engine: what is not honoured is refused by flag.

A refused flag leaves no container behind; plain `docker run` and `containers.run` work.
"""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest
from docker.errors import APIError

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


def _all_containers(engine: EngineProcess) -> list[str]:
    return engine.docker("ps", "-aq", "--no-trunc").stdout.split()


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--cgroup-parent", "/x"], "--cgroup-parent is not supported by the tuibox engine"),
        (["-p", "[::1]:8080:80"], "IPv6 host addresses are not supported by the tuibox engine"),
        (["--oom-kill-disable"], "--oom-kill-disable is not supported by the tuibox engine yet"),
        (["--cpu-rt-runtime", "950000"], "--cpu-rt-runtime is not supported by the tuibox engine"),
        (["--gpus", "all"], "--gpus is not supported by the tuibox engine yet"),
        (["--mac-address", "02:42:ac:11:00:09"], "--mac-address is not supported by the tuibox"),
    ],
)
def test_a_refused_flag_names_itself_and_leaves_nothing(
    cli: EngineProcess, flags: list[str], named: str
) -> None:
    before = _all_containers(cli)
    result = cli.docker("run", "--name", "refused", *flags, "busybox", "true")
    assert result.returncode == 125, result.stderr
    assert named in result.stderr
    assert _all_containers(cli) == before


def test_plain_docker_run_works(cli: EngineProcess) -> None:
    result = cli.docker("run", "--rm", "busybox", "echo", "plain")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "plain\n"


def test_env_and_label_files_and_the_cidfile(cli: EngineProcess, tmp_path: Path) -> None:
    (tmp_path / "env").write_text("GREETING=hi\n")
    (tmp_path / "labels").write_text("team=core\n")
    cid_file = tmp_path / "cid"
    result = cli.docker(
        "run", "--env-file", str(tmp_path / "env"), "--label-file", str(tmp_path / "labels"),
        "--cidfile", str(cid_file), "busybox", "sh", "-c", "echo $GREETING",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"
    container_id = cid_file.read_text().strip()
    labels = json.loads(cli.docker("inspect", "-f", "{{json .Config.Labels}}", container_id).stdout)
    assert labels == {"team": "core"}


def test_ps_and_inspect_show_sizes(cli: EngineProcess) -> None:
    result = cli.docker("run", "--name", "sized", "busybox", "sh", "-c",
                        "head -c 100000 /dev/zero > /big")  # fmt: skip
    assert result.returncode == 0, result.stderr
    sized = cli.docker("ps", "-a", "-s", "--filter", "name=sized", "--format", "{{.Size}}")
    assert sized.stdout.startswith("100kB"), sized.stdout
    inspected = cli.docker("inspect", "-s", "-f", "{{.SizeRw}}", "sized")
    assert int(inspected.stdout) == 100_000


def test_docker_py_refuses_what_it_cannot_honour_and_runs_the_rest(
    cli: EngineProcess,
) -> None:
    client = docker.DockerClient(base_url=cli.host, version="auto", timeout=60)
    try:
        before = _all_containers(cli)
        with pytest.raises(APIError, match="--storage-opt is not supported"):
            client.containers.run("busybox", "true", storage_opt={"size": "1G"})
        with pytest.raises(APIError, match="--oom-kill-disable is not supported"):
            client.containers.run("busybox", "true", oom_kill_disable=True)
        assert _all_containers(cli) == before
        assert client.containers.run("busybox", ["echo", "ok"], remove=True) == b"ok\n"
    finally:
        client.close()
