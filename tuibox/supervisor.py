"""Provides EngineSupervisor: starts the local engine when none answers, and restarts it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tuibox.client import engine_answers

ENGINE_MODULE_COMMAND = (sys.executable, "-m", "tuibox.engine")
ENGINE_LINE_PREFIX = "tuibox engine:"
"""How the engine starts each line that explains why it refuses to start (host check)."""
FINAL_EXIT_CODES = frozenset({1, 2})
"""Exit codes of an engine that refused to start (host check, lock, config): no restart."""
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) \S+: (?P<text>.*)$")
_QUIET_LEVELS = frozenset({"DEBUG", "INFO"})


class EngineState(StrEnum):
    """Where the supervised engine is in its life."""

    STARTING = "starting"
    UP = "up"
    RESTARTING = "restarting"
    DOWN = "down"


@dataclass(frozen=True)
class EngineStatus:
    """A snapshot of the supervisor's view, shown in the header.

    Attributes:
        state: starting, up, restarting or down.
        reason: Why the engine is not up, in one line: the cause the engine printed (e.g.
            "crun is not installed -- fix: apt-get install crun conmon"), or what happened.
        managed: False when an engine was already answering and tuibox adopted it.
        pid: The engine process tuibox started, if any.
        restarts: How many times the engine was started again after dying.
        details: The full story behind `reason`: exit code and the engine's last stderr lines.
    """

    state: EngineState
    reason: str = ""
    managed: bool = True
    pid: int | None = None
    restarts: int = 0
    details: str = ""


def engine_problems(stderr_lines: Iterable[str]) -> list[str]:
    """The lines in which the engine explains why it refuses to start, without the prefix."""
    return [
        line.removeprefix(ENGINE_LINE_PREFIX).strip()
        for line in stderr_lines
        if line.startswith(ENGINE_LINE_PREFIX)
    ]


def death_cause(exit_code: int | None, stderr_lines: Sequence[str]) -> str:
    """The one line that best says why the engine died.

    Args:
        exit_code: The engine's exit status (None if unknown).
        stderr_lines: Its last stderr lines, oldest first.

    Returns:
        The engine's own problem line(s) ("tuibox engine: ..."), else the last stderr line
        that is not routine logging or a traceback frame, else "engine exited with code N".
    """
    problems = engine_problems(stderr_lines)
    if problems:
        more = len(problems) - 1
        return problems[0] + (f" (and {more} more; e shows all)" if more else "")
    for line in reversed(stderr_lines):
        log_line = _LOG_LINE.match(line)
        if log_line is not None:
            if log_line["level"] in _QUIET_LEVELS:
                continue
            return log_line["text"].strip()
        if line.strip() and not line[:1].isspace() and not line.startswith("Traceback"):
            return line.strip()
    return f"engine exited with code {exit_code}"


def refused_to_start(exit_code: int | None, stderr_lines: Iterable[str]) -> bool:
    """Whether the engine exited because the host or its config cannot work (final)."""
    return exit_code in FINAL_EXIT_CODES and bool(engine_problems(stderr_lines))


StatusCallback = Callable[[EngineStatus], None]


class EngineSupervisor:
    """Keeps an engine answering on one socket for the lifetime of the TUI.

    Lifecycle: run() is a long-lived coroutine (an app worker). If an engine already answers
    on the socket it is adopted and watched; otherwise `python -m tuibox.engine --socket PATH`
    is started (never imported), /_ping is awaited, and when the process dies it is started
    again after an exponential backoff. An engine that refuses to start (its host check
    failed: exit 1 with "tuibox engine: ..." lines) is not restarted, nor is one that died too
    often before ever answering: the state becomes down with the engine's own cause as the
    reason. stop() ends the process this supervisor started, and only that one.
    """

    def __init__(
        self,
        socket_path: str,
        engine_args: Sequence[str] = (),
        *,
        command: Sequence[str] = ENGINE_MODULE_COMMAND,
        on_change: StatusCallback | None = None,
        startup_timeout: float = 20.0,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        stable_after: float = 30.0,
        max_failed_starts: int = 5,
        poll_interval: float = 0.1,
        health_interval: float = 1.0,
    ) -> None:
        self.socket_path = socket_path
        self.engine_args = tuple(engine_args)
        self.command = tuple(command)
        self.on_change = on_change
        self.startup_timeout = startup_timeout
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.max_failed_starts = max_failed_starts
        self.poll_interval = poll_interval
        self.health_interval = health_interval
        self._status = EngineStatus(EngineState.STARTING)
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._stopping = False

    @property
    def status(self) -> EngineStatus:
        """The current state, reason and process ID."""
        return self._status

    @property
    def engine_argv(self) -> list[str]:
        """The command line of the engine process this supervisor starts."""
        return [*self.command, "--socket", self.socket_path, *self.engine_args]

    def _set(
        self, state: EngineState, reason: str = "", details: str = "", *, managed: bool = True
    ) -> None:
        pid = self._process.pid if self._process and self._process.returncode is None else None
        restarts = self._status.restarts
        self._status = EngineStatus(state, reason, managed, pid, restarts, details or reason)
        if self.on_change is not None:
            self.on_change(self._status)

    async def run(self) -> None:
        """Supervise until stop() is called or the engine is given up on."""
        backoff = self.initial_backoff
        failed_starts = 0
        try:
            while not self._stopping:
                if await engine_answers(self.socket_path):
                    await self._watch_adopted_engine()
                    continue
                started_at = time.monotonic()
                reached_up = await self._run_engine_once()
                if self._stopping:
                    break
                reason, details = self._death_reason()
                failed_starts = 0 if reached_up else failed_starts + 1
                if failed_starts >= self.max_failed_starts or self._refused_to_start(reached_up):
                    self._set(EngineState.DOWN, reason, details)
                    return
                if reached_up and time.monotonic() - started_at >= self.stable_after:
                    backoff = self.initial_backoff
                self._status = EngineStatus(
                    self._status.state, reason, restarts=self._status.restarts + 1
                )
                restarting = f"{reason} (restarting in {backoff:g}s)"
                self._set(EngineState.RESTARTING, restarting, details)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        finally:
            await self.stop()

    async def _watch_adopted_engine(self) -> None:
        self._set(EngineState.UP, managed=False)
        while not self._stopping and await engine_answers(self.socket_path):
            await asyncio.sleep(self.health_interval)
        if not self._stopping:
            self._set(
                EngineState.STARTING, "the running engine stopped answering", managed=False
            )

    async def _run_engine_once(self) -> bool:
        self._stderr_tail.clear()
        self._process = await asyncio.create_subprocess_exec(
            *self.engine_argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        self._set(EngineState.STARTING)
        stderr_reader = asyncio.create_task(self._collect_stderr(self._process))
        reached_up = await self._wait_until_answering(self._process)
        if reached_up:
            self._set(EngineState.UP)
        elif self._process.returncode is None:
            self._stderr_tail.append(
                f"engine did not answer /_ping within {self.startup_timeout:g}s; stopped it"
            )
            await self._terminate(self._process)
        await self._process.wait()
        await stderr_reader
        return reached_up

    async def _wait_until_answering(self, process: asyncio.subprocess.Process) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while process.returncode is None and time.monotonic() < deadline:
            if await engine_answers(self.socket_path, timeout=1.0):
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), self.poll_interval)
        return False

    async def _collect_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for raw_line in process.stderr:
            line = raw_line.decode("utf-8", errors="replace").rstrip()
            if line:
                self._stderr_tail.append(line)

    def _refused_to_start(self, reached_up: bool) -> bool:
        code = self._process.returncode if self._process else None
        return not reached_up and refused_to_start(code, self._stderr_tail)

    def _death_reason(self) -> tuple[str, str]:
        """(one-line cause, exit code and the engine's last stderr lines)."""
        code = self._process.returncode if self._process else None
        tail = list(self._stderr_tail)
        details = "\n".join([f"engine exited with code {code}", *tail])
        return death_cause(code, tail), details

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop supervising and end the engine process this supervisor started (only it)."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            await self._terminate(process, grace_seconds)

    @staticmethod
    async def _terminate(process: asyncio.subprocess.Process, grace: float = 5.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    def terminate_now(self) -> None:
        """Send SIGTERM to a still-running engine child without an event loop (exit path)."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
