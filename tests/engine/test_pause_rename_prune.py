"""`docker pause`/`unpause` (the freezer), `rename`, `container prune` against the real engine."""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine

CGROUPS = Path("/sys/fs/cgroup")


def _ok(cli: EngineProcess, *args: str) -> str:
    result = cli.docker(*args)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def _log_lines(cli: EngineProcess, name: str) -> int:
    return len(_ok(cli, "logs", name).splitlines())


def test_pause_freezes_the_processes_and_unpause_thaws_them(cli: EngineProcess) -> None:
    container_id = _ok(cli, "run", "-d", "--name", "ticker", "busybox",
                       "sh", "-c", "while :; do echo tick; sleep 0.1; done").strip()  # fmt: skip
    time.sleep(0.5)
    _ok(cli, "pause", "ticker")
    freezer = CGROUPS / "freezer" / cli.root.name / container_id / "freezer.state"
    assert freezer.read_text().strip() == "FROZEN"
    status = _ok(cli, "ps", "--filter", "name=ticker", "--format", "{{.Status}}").strip()
    assert status.endswith("(Paused)"), status
    assert _ok(cli, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}",
               "ticker").strip() == "paused true true"  # fmt: skip
    frozen_at = _log_lines(cli, "ticker")
    time.sleep(0.6)
    assert _log_lines(cli, "ticker") == frozen_at, "a paused container writes nothing"
    again = cli.docker("pause", "ticker")
    assert again.returncode != 0 and "is already paused" in again.stderr
    _ok(cli, "unpause", "ticker")
    assert freezer.read_text().strip() == "THAWED"
    time.sleep(0.6)
    assert _log_lines(cli, "ticker") > frozen_at


def test_a_paused_container_stops_kills_and_needs_force_to_be_removed(cli: EngineProcess) -> None:
    _ok(cli, "run", "-d", "--name", "napper", "busybox", "sleep", "300")
    _ok(cli, "pause", "napper")
    refused = cli.docker("rm", "napper")
    assert refused.returncode != 0 and "cannot remove a paused container" in refused.stderr
    _ok(cli, "stop", "-t", "1", "napper")
    assert _ok(cli, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
               "napper").strip() == "exited 137"  # fmt: skip
    _ok(cli, "start", "napper")
    _ok(cli, "pause", "napper")
    _ok(cli, "kill", "-s", "KILL", "napper")
    assert _ok(cli, "wait", "napper").strip() == "137"
    _ok(cli, "start", "napper")
    _ok(cli, "pause", "napper")
    _ok(cli, "rm", "-f", "napper")
    assert "napper" not in _ok(cli, "ps", "-a", "--format", "{{.Names}}")


def test_rename_keeps_the_container_and_its_run(cli: EngineProcess) -> None:
    container_id = _ok(cli, "run", "-d", "--name", "before", "busybox", "sleep", "300").strip()
    _ok(cli, "create", "--name", "occupied", "busybox", "true")
    _ok(cli, "rename", "before", "after")
    assert _ok(cli, "inspect", "-f", "{{.Id}} {{.Name}} {{.State.Running}}", "after").strip() == (
        f"{container_id} /after true")  # fmt: skip
    clash = cli.docker("rename", "after", "occupied")
    assert clash.returncode != 0 and 'The container name "/occupied" is already in use' in (
        clash.stderr)  # fmt: skip
    assert cli.docker("inspect", "before").returncode != 0


def test_container_prune_removes_only_what_has_stopped(cli: EngineProcess) -> None:
    keep = _ok(cli, "run", "-d", "busybox", "sleep", "300").strip()
    done = _ok(cli, "run", "-d", "busybox", "true").strip()
    _ok(cli, "wait", done)
    labelled = _ok(cli, "run", "-d", "--label", "keep=1", "busybox", "true").strip()
    _ok(cli, "wait", labelled)
    out = _ok(cli, "container", "prune", "-f", "--filter", "label!=keep")
    assert done in out and labelled not in out
    remaining = set(_ok(cli, "ps", "-aq", "--no-trunc").split())
    assert keep in remaining and labelled in remaining and done not in remaining
    with cli.client() as client:
        body = client.post("/v1.44/containers/prune",
                           params={"filters": json.dumps({"until": ["1h"]})}).json()
    assert body == {"ContainersDeleted": [], "SpaceReclaimed": 0}  # made within the hour


def test_docker_diff_lists_what_the_container_changed(cli: EngineProcess) -> None:
    script = "touch /new; rm /etc/group; echo me >> /etc/passwd; mkdir /d; touch /d/f"
    run = cli.docker("run", "--name", "changer", "busybox", "sh", "-c", script)
    assert run.returncode == 0, run.stderr
    diff = cli.docker("diff", "changer")
    assert diff.returncode == 0, diff.stderr
    lines = set(diff.stdout.splitlines())
    # the mount points of its /etc files are the runtime's, not changes of the container's
    assert lines == {"A /new", "D /etc/group", "C /etc", "C /etc/passwd", "A /d", "A /d/f"}


def test_docker_export_writes_the_whole_filesystem(cli: EngineProcess, tmp_path: Path) -> None:
    run = cli.docker("run", "--name", "exported", "busybox", "sh", "-c",
                     "echo mine > /mine; ln -s /etc/passwd /link")  # fmt: skip
    assert run.returncode == 0, run.stderr
    target = tmp_path / "fs.tar"
    result = cli.docker("export", "-o", str(target), "exported")
    assert result.returncode == 0, result.stderr
    with tarfile.open(target) as tar:
        names = set(tar.getnames())
        assert {"mine", "etc/passwd", "bin/busybox", "link"} <= names
        mine = tar.extractfile("mine")
        assert mine is not None and mine.read() == b"mine\n"
        link = tar.getmember("link")
        assert link.issym() and link.linkname == "/etc/passwd"
        assert tar.getmember("etc/passwd").uname == ""
    assert cli.docker("start", "exported").returncode == 0  # the export's mount is gone
    missing = cli.docker("export", "-o", str(tmp_path / "x.tar"), "nosuch")
    assert missing.returncode != 0 and "No such container" in missing.stderr
