"""Tests EngineSupervisor against a fake engine command (a tiny /_ping server that can die)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tuibox.supervisor import (
    EngineState,
    EngineStatus,
    EngineSupervisor,
    death_cause,
    refused_to_start,
)

FAKE_ENGINE_SOURCE = r'''
"""A fake engine: serves GET/HEAD /_ping on --socket, or dies, as its mode says."""
import asyncio, os, sys

mode, starts_file = sys.argv[1], sys.argv[2]
socket_path = sys.argv[sys.argv.index("--socket") + 1]
with open(starts_file, "a") as f:
    f.write(f"{os.getpid()} {' '.join(sys.argv[3:])}\n")
starts = len(open(starts_file).read().splitlines())

async def answer(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nApi-Version: 1.44\r\nContent-Length: 2\r\n"
                 b"Connection: close\r\n\r\nOK")
    await writer.drain()
    writer.close()

async def serve(seconds):
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = await asyncio.start_unix_server(answer, socket_path)
    async with server:
        await asyncio.sleep(seconds)
    os.unlink(socket_path)

if mode == "die":
    print("host check failed:", file=sys.stderr)
    print("crun not found: apt-get install crun", file=sys.stderr)
    sys.exit(3)
if mode == "hostcheck":
    print("2025-06-15 12:00:00,000 INFO tuibox.engine: checking the host", file=sys.stderr)
    print("tuibox engine: crun is not installed (not on PATH) -- fix: apt-get install crun conmon",
          file=sys.stderr)
    sys.exit(1)
if mode == "silent":
    import time; time.sleep(60)
if mode == "crash-once" and starts == 1:
    asyncio.run(serve(0.5))
    print("engine crashed: boom", file=sys.stderr)
    sys.exit(1)
asyncio.run(serve(60))
'''


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A short temporary directory (Unix socket paths must stay under 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="tbsup-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def fake_engine_command(workdir: Path, mode: str) -> tuple[str, ...]:
    script = workdir / "fake_engine.py"
    script.write_text(FAKE_ENGINE_SOURCE)
    return (sys.executable, str(script), mode, str(workdir / "starts"))


def started_pids(workdir: Path) -> list[int]:
    starts = workdir / "starts"
    if not starts.exists():
        return []
    return [int(line.split()[0]) for line in starts.read_text().splitlines()]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def make_supervisor(workdir: Path, mode: str, **kwargs: object) -> tuple[
    EngineSupervisor, list[tuple[float, EngineStatus]]
]:
    history: list[tuple[float, EngineStatus]] = []
    supervisor = EngineSupervisor(
        str(workdir / "engine.sock"),
        ["--data-root", str(workdir / "data")],
        command=fake_engine_command(workdir, mode),
        on_change=lambda status: history.append((time.monotonic(), status)),
        initial_backoff=0.05,
        health_interval=0.05,
        **kwargs,  # type: ignore[arg-type]
    )
    return supervisor, history


async def test_starts_engine_waits_for_ping_and_stops_only_it(workdir: Path) -> None:
    supervisor, history = make_supervisor(workdir, "serve")
    task = asyncio.create_task(supervisor.run())
    await wait_for(lambda: supervisor.status.state is EngineState.UP)
    [pid] = started_pids(workdir)
    assert supervisor.status.pid == pid and supervisor.status.managed
    assert history[0][1].state is EngineState.STARTING
    argv_tail = (workdir / "starts").read_text().split(maxsplit=1)[1]
    assert argv_tail.strip() == f"--socket {workdir}/engine.sock --data-root {workdir}/data"
    await supervisor.stop()
    await asyncio.wait_for(task, 10)
    assert not pid_alive(pid)


async def test_engine_dying_at_start_backs_off_then_reports_down(workdir: Path) -> None:
    supervisor, history = make_supervisor(workdir, "die", max_failed_starts=4)
    await asyncio.wait_for(supervisor.run(), 30)
    assert supervisor.status.state is EngineState.DOWN
    assert "crun not found: apt-get install crun" in supervisor.status.reason
    assert supervisor.status.reason == "crun not found: apt-get install crun"
    assert "engine exited with code 3" in supervisor.status.details
    assert "host check failed:" in supervisor.status.details
    assert len(started_pids(workdir)) == 4
    start_times = [at for at, status in history if status.state is EngineState.STARTING]
    gaps = [later - earlier for earlier, later in itertools.pairwise(start_times)]
    assert gaps[2] > gaps[0] * 1.5, f"backoff did not grow: {gaps}"
    restarting = [status for _, status in history if status.state is EngineState.RESTARTING]
    assert restarting[0].reason.endswith("(restarting in 0.05s)")
    assert restarting[1].reason.endswith("(restarting in 0.1s)")


async def test_engine_crashing_after_start_is_restarted(workdir: Path) -> None:
    supervisor, history = make_supervisor(workdir, "crash-once")
    task = asyncio.create_task(supervisor.run())
    try:
        await wait_for(lambda: len(started_pids(workdir)) == 2, timeout=15)
        await wait_for(lambda: supervisor.status.state is EngineState.UP)
        states = [status.state for _, status in history]
        assert states[:4] == [
            EngineState.STARTING, EngineState.UP, EngineState.RESTARTING, EngineState.STARTING,
        ]
        crash = next(status for _, status in history if status.state is EngineState.RESTARTING)
        assert "engine crashed: boom" in crash.reason
        assert supervisor.status.restarts == 1
    finally:
        await supervisor.stop()
        await asyncio.wait_for(task, 10)
    assert not any(pid_alive(pid) for pid in started_pids(workdir))


async def test_engine_silent_past_startup_timeout_is_stopped(workdir: Path) -> None:
    supervisor, _ = make_supervisor(workdir, "silent", startup_timeout=0.5, max_failed_starts=1)
    await asyncio.wait_for(supervisor.run(), 20)
    assert supervisor.status.state is EngineState.DOWN
    assert "did not answer /_ping within 0.5s" in supervisor.status.reason
    assert not pid_alive(started_pids(workdir)[0])


async def test_running_engine_is_adopted_not_started(workdir: Path) -> None:
    outside, _ = make_supervisor(workdir, "serve")
    outside_task = asyncio.create_task(outside.run())
    try:
        await wait_for(lambda: outside.status.state is EngineState.UP)
        adopting = EngineSupervisor(
            str(workdir / "engine.sock"), command=("/bin/false",), health_interval=0.05
        )
        adopt_task = asyncio.create_task(adopting.run())
        await wait_for(lambda: adopting.status.state is EngineState.UP)
        assert adopting.status.managed is False and adopting.status.pid is None
        await adopting.stop()
        await asyncio.wait_for(adopt_task, 5)
        assert len(started_pids(workdir)) == 1
    finally:
        await outside.stop()
        await asyncio.wait_for(outside_task, 10)


async def test_failed_host_check_is_final_down_with_the_engines_cause(workdir: Path) -> None:
    supervisor, history = make_supervisor(workdir, "hostcheck", max_failed_starts=5)
    await asyncio.wait_for(supervisor.run(), 20)
    assert len(started_pids(workdir)) == 1, "an engine that refused to start is not restarted"
    status = supervisor.status
    assert status.state is EngineState.DOWN
    assert status.reason == (
        "crun is not installed (not on PATH) -- fix: apt-get install crun conmon"
    )
    assert status.details.startswith("engine exited with code 1\n")
    assert "tuibox engine: crun is not installed" in status.details
    assert EngineState.RESTARTING not in [s.state for _, s in history]


@pytest.mark.parametrize(
    ("code", "lines", "cause"),
    [
        (1, ["tuibox engine: overlayfs unusable -- fix: modprobe overlay"],
         "overlayfs unusable -- fix: modprobe overlay"),
        (1, ["tuibox engine: a -- fix: x", "tuibox engine: b -- fix: y"],
         "a -- fix: x (and 1 more; e shows all)"),
        (1, ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
             "OSError: [Errno 98] Address already in use"],
         "OSError: [Errno 98] Address already in use"),
        (-9, ["2025-06-15 12:00:00,000 ERROR tuibox.engine.api: socket gone",
              "2025-06-15 12:00:01,000 INFO tuibox.engine: stopping"], "socket gone"),
        (-9, ["2025-06-15 12:00:01,000 INFO tuibox.engine: listening"],
         "engine exited with code -9"),
        (3, [], "engine exited with code 3"),
    ],
)
def test_death_cause_picks_the_meaningful_line(code: int, lines: list[str], cause: str) -> None:
    assert death_cause(code, lines) == cause


def test_only_a_refusal_with_the_engines_own_lines_is_final() -> None:
    assert refused_to_start(1, ["tuibox engine: crun missing -- fix: apt-get install crun"])
    assert not refused_to_start(1, ["Traceback (most recent call last):"])
    assert not refused_to_start(-9, ["tuibox engine: crun missing -- fix: apt-get install crun"])


TUI_WITH_FAKE_ENGINE = r'''
"""The real `tuibox` command line, its supervisor starting a fake engine command."""
import functools, sys
import tuibox.supervisor

fake_command, socket_path = tuple(sys.argv[1:5]), sys.argv[5]
tuibox.supervisor.EngineSupervisor = functools.partial(
    tuibox.supervisor.EngineSupervisor, command=fake_command
)
from tuibox.cli import run
sys.exit(run(["--socket", socket_path]))
'''


def drain(master_fd: int, output: list[bytes]) -> None:
    """Read the TUI's terminal output until the terminal closes."""
    with contextlib.suppress(OSError):
        while chunk := os.read(master_fd, 65536):
            output.append(chunk)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_tui_killed_or_hung_up_stops_the_engine_it_started(workdir: Path, signum: int) -> None:
    script = workdir / "tui.py"
    script.write_text(TUI_WITH_FAKE_ENGINE)
    engine_command = fake_engine_command(workdir, "serve")
    master_fd, slave_fd = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    tui = subprocess.Popen(
        [sys.executable, str(script), *engine_command, str(workdir / "engine.sock")],
        stdin=slave_fd, stdout=slave_fd, stderr=slave_fd, env=env, start_new_session=True,
    )
    os.close(slave_fd)
    output: list[bytes] = []
    reader = threading.Thread(target=drain, args=(master_fd, output), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while not started_pids(workdir) or not (workdir / "engine.sock").exists():
            assert tui.poll() is None, "the TUI exited before starting the engine"
            assert time.monotonic() < deadline, "the engine was never started"
            time.sleep(0.05)
        [engine_pid] = started_pids(workdir)
        if signum == signal.SIGHUP:
            os.close(master_fd)  # the terminal goes away first, as when a window is closed
        os.kill(tui.pid, signum)
        assert tui.wait(timeout=20) == 0, b"".join(output)[-2000:].decode(errors="replace")
        assert not pid_alive(engine_pid), "the engine outlived the TUI"
        assert started_pids(workdir) == [engine_pid], "only the one engine was started"
    finally:
        if tui.poll() is None:
            tui.kill()
            tui.wait()
        for pid in started_pids(workdir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(master_fd)
