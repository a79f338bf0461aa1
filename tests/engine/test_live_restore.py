"""Live-restore: containers outlive the engine (SIGKILL, SIGTERM, its whole cgroup killed).

The matrix {no policy, always, on-failure} x {engine SIGKILLed, engine stopped with SIGTERM}
x {container still running, container exiting while no engine runs} shares two engines,
one per way of stopping, each going down once with its six containers.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine.conftest import EngineProcess, engine_process, wait_for
from tuibox.engine.cgroups.conmon_placement import MONITOR_CGROUP, make_cgroup, parse_proc_cgroup
from tuibox.engine.cgroups.layout import detect_layout

pytestmark = pytest.mark.engine

TICKER = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"
# Exits 3 on its first run only, so a run the policy started afterwards stays up to be seen.
EXITS_ONCE = "if [ -e /ran-once ]; then exec sleep 300; fi; touch /ran-once; sleep 2; exit 3"
POLICIES = ("no", "always", "on-failure")
STOPS = ("sigkill", "sigterm")
FATES = ("runs-on", "exits-while-down")


def _name(policy: str, stop: str, fate: str) -> str:
    return f"lr-{policy}-{stop}-{fate}"


def _inspect(engine: EngineProcess, name: str) -> dict[str, Any]:
    with engine.client() as client:
        response = client.get(f"/containers/{name}/json")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _unix(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with nanoseconds, as Docker writes it."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(head).replace(tzinfo=datetime.UTC)
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def _conmon_pid(engine: EngineProcess, container_id: str) -> int:
    return int((engine.exec_root / "conmon" / container_id / "conmon.pid").read_text())


def _cgroups_of(pid: int) -> list[tuple[str, str]]:
    return parse_proc_cgroup(Path(f"/proc/{pid}/cgroup").read_text())


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


@dataclass
class Downtime:
    """When no engine ran (Unix seconds) and the containers as they were just before."""

    stopped_at: float
    restarted_at: float
    before: dict[str, dict[str, Any]]


@dataclass
class Restored:
    engines: dict[str, EngineProcess]
    downtimes: dict[str, Downtime]


def _go_down_and_up(engine: EngineProcess, stop: str) -> Downtime:
    """Run the six containers, stop the engine, let the short ones end, start a new engine."""
    for policy in POLICIES:
        for fate in FATES:
            script = TICKER if fate == "runs-on" else EXITS_ONCE
            run = engine.docker("run", "-d", "--name", _name(policy, stop, fate),
                                "--restart", policy, "busybox", "sh", "-c", script)  # fmt: skip
            assert run.returncode == 0, run.stderr
    names = [_name(policy, stop, fate) for policy in POLICIES for fate in FATES]
    before = {name: _inspect(engine, name) for name in names}
    monitors = [_conmon_pid(engine, before[name]["Id"]) for name in names
                if name.endswith("exits-while-down")]  # fmt: skip
    stopped_at = time.time()
    engine.stop(sig_kill=stop == "sigkill")
    assert engine.process is not None
    assert engine.process.returncode == (-signal.SIGKILL if stop == "sigkill" else 0)
    # The short runs end and their monitors record it while no engine runs.
    wait_for(lambda: all(_gone(pid) for pid in monitors))
    restarted_at = time.time()
    engine.start()
    return Downtime(stopped_at, restarted_at, before)


@pytest.fixture(scope="module")
def restored(registry: str) -> Iterator[Restored]:
    with engine_process(registry) as killed, engine_process(registry) as stopped:
        engines = {"sigkill": killed, "sigterm": stopped}
        for engine in engines.values():
            assert engine.docker("pull", "busybox").returncode == 0
        downtimes = {stop: _go_down_and_up(engine, stop) for stop, engine in engines.items()}
        yield Restored(engines, downtimes)


@pytest.mark.parametrize("fate", FATES)
@pytest.mark.parametrize("stop", STOPS)
@pytest.mark.parametrize("policy", POLICIES)
def test_the_next_engine_finds_each_container_as_it_really_is(
    restored: Restored, policy: str, stop: str, fate: str
) -> None:
    engine, down = restored.engines[stop], restored.downtimes[stop]
    name = _name(policy, stop, fate)
    before = down.before[name]
    if fate == "runs-on":
        state = _inspect(engine, name)["State"]
        assert state["Status"] == "running"
        assert state["Pid"] == before["State"]["Pid"]  # the same run, adopted
        assert state["StartedAt"] == before["State"]["StartedAt"]
        assert _inspect(engine, name)["RestartCount"] == 0
        assert _lines_logged_between(engine, name, down.stopped_at, down.restarted_at)
        return
    restarts = policy in ("always", "on-failure")  # on-failure: exit 3 is a failure
    wait_for(lambda: _inspect(engine, name)["State"]["Status"] == ("running" if restarts
                                                                  else "exited"))  # fmt: skip
    found = _inspect(engine, name)
    state = found["State"]
    assert _die_codes_since(engine, name, down.stopped_at) == ["3"]  # the run's real exit code
    # As dockerd, a start made by the engine at its own start-up is not counted as a restart.
    assert found["RestartCount"] == 0
    if restarts:
        assert _unix(state["StartedAt"]) > down.restarted_at
        assert state["Pid"] != before["State"]["Pid"]
    else:
        assert state["ExitCode"] == 3 and state["Pid"] == 0
        # Dated when conmon saw the exit, while no engine ran, not when the engine found it.
        assert down.stopped_at < _unix(state["FinishedAt"]) < down.restarted_at


def _die_codes_since(engine: EngineProcess, name: str, since: float) -> list[str]:
    events = engine.docker("events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                           "--filter", f"container={name}", "--filter", "event=die",
                           "--format", "{{.Actor.Attributes.exitCode}}")  # fmt: skip
    assert events.returncode == 0, events.stderr
    return events.stdout.split()


def _lines_logged_between(engine: EngineProcess, name: str, start: float, end: float) -> list[str]:
    logs = engine.docker("logs", "-t", name)
    assert logs.returncode == 0, logs.stderr
    lines = [line.split(" ", 1) for line in logs.stdout.splitlines() if " " in line]
    return [text for stamp, text in lines if start < _unix(stamp) < end]


# --- a service manager that stops the engine by killing its cgroup ----------------------------


def _service_cgroup_mounts() -> list[Path]:
    """The hierarchies a service manager would kill a service in, and the usual controllers'."""
    layout = detect_layout()
    mounts = [layout.v1_mounts[name] for name in ("name=systemd", "pids", "memory", "cpu")
              if name in layout.v1_mounts]  # fmt: skip
    if layout.unified_mount is not None:
        mounts.append(layout.unified_mount)
    return mounts


@contextlib.contextmanager
def service_cgroup() -> Iterator[list[Path]]:
    """A cgroup of the test's own below this process's cgroup in each hierarchy, as a unit's.

    Yields its directories; they are removed afterwards (their processes must be gone by then).
    """
    own = dict(parse_proc_cgroup(Path("/proc/self/cgroup").read_text()))
    layout = detect_layout()
    name = f"tuibox-service-{uuid.uuid4().hex[:8]}"
    made: list[Path] = []
    try:
        for mount in _service_cgroup_mounts():
            key = "" if mount == layout.unified_mount else next(
                controllers for controllers in own
                if any(layout.v1_mounts.get(c) == mount for c in controllers.split(","))
            )  # fmt: skip
            relative = f"{own[key].strip('/')}/{name}".strip("/")
            make_cgroup(mount, relative)
            made.append(mount / relative)
        yield made
    finally:
        for directory in made:
            with contextlib.suppress(OSError):
                directory.rmdir()


def _start_engine_in(engine: EngineProcess, cgroup: list[Path]) -> None:
    """Start the engine as a service manager does: in ``cgroup`` from its first instruction."""
    join = 'for procs in $SERVICE_PROCS; do echo $$ > "$procs"; done; exec "$@"'
    argv = ["sh", "-c", join, "sh", *engine.argv()]
    env = {**os.environ, "SERVICE_PROCS": " ".join(str(d / "cgroup.procs") for d in cgroup)}
    with (engine.root / "engine.log").open("ab") as log:
        engine.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)

    def answers() -> bool:
        assert engine.process is not None and engine.process.poll() is None, engine.log_text()
        with contextlib.suppress(httpx.HTTPError), engine.client(timeout=1) as client:
            return client.get("/_ping").text == "OK"
        return False

    wait_for(answers)


def _kill_the_unit(engine: EngineProcess, cgroup: list[Path]) -> None:
    """SIGKILL every process in the unit's cgroup, as systemd stopping it does, until none is left.

    Only the engine started here and what it forked can be there.
    """
    while pids := {int(pid) for d in cgroup for pid in (d / "cgroup.procs").read_text().split()}:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert engine.process is not None
        if engine.process.pid in pids:
            engine.process.wait(timeout=15)


def test_conmon_and_the_container_are_outside_the_engines_cgroup(registry: str) -> None:
    with service_cgroup() as cgroup, engine_process(registry) as engine:
        engine.stop()
        _start_engine_in(engine, cgroup)
        assert engine.docker("pull", "busybox").returncode == 0
        run = engine.docker("run", "-d", "--name", "lr-unit", "busybox", "sh", "-c", TICKER)
        assert run.returncode == 0, run.stderr
        container_id = run.stdout.strip()
        assert engine.process is not None
        engine_cgroups = {entry for entry in _cgroups_of(engine.process.pid) if entry[1] != "/"}
        monitor = _conmon_pid(engine, container_id)
        init = int(_inspect(engine, "lr-unit")["State"]["Pid"])
        parent = json.loads(engine.config_file.read_text())["cgroup-parent"]
        assert engine_cgroups  # the engine is in the unit's cgroups
        expected = {monitor: f"{parent}/{MONITOR_CGROUP}", init: f"{parent}/{container_id}"}
        for pid, own in expected.items():
            entries = _cgroups_of(pid)
            assert not set(entries) & engine_cgroups, entries
            assert {path for _, path in entries if path != "/"} == {own}, entries

        _kill_the_unit(engine, cgroup)
        killed_at = time.time()
        assert not _gone(monitor) and not _gone(init)
        time.sleep(1)  # the ticker goes on printing with no engine
        restarted_at = time.time()
        _start_engine_in(engine, cgroup)  # the unit started again: a new engine adopts the run
        state = _inspect(engine, "lr-unit")["State"]
        assert state["Status"] == "running" and state["Pid"] == init
        assert _lines_logged_between(engine, "lr-unit", killed_at, restarted_at)
        stop = engine.docker("stop", "-t", "1", "lr-unit")
        assert stop.returncode == 0, stop.stderr
        assert _inspect(engine, "lr-unit")["State"]["ExitCode"] == 137  # sh ignores SIGTERM
        engine.remove_all_containers()
        engine.stop()


def test_a_new_cpuset_cgroup_takes_its_parents_cpus_and_mems() -> None:
    mount = detect_layout().v1_mounts.get("cpuset")
    if mount is None:
        reason = "no cgroup v1 cpuset hierarchy on this host"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"tuibox-cpuset-{uuid.uuid4().hex[:8]}"
    try:
        make_cgroup(mount, f"{name}/{MONITOR_CGROUP}")
        for file in ("cpuset.cpus", "cpuset.mems"):
            made = (mount / name / MONITOR_CGROUP / file).read_text()
            assert made.strip() and made == (mount / file).read_text()
    finally:
        for directory in (mount / name / MONITOR_CGROUP, mount / name):
            with contextlib.suppress(OSError):
                directory.rmdir()
