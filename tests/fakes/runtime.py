"""FakeRuntime: a fake of conmon + crun that keeps containers in memory and runs no process.

It reads the bundle's config.json as crun would and plays the container's command with a
tiny interpreter, so the services' rules meet the outcomes a real run has:

- `true`, `false`, `sh -c "exit N"` and `echo WORDS` end on their own right after start
  (`echo` writes a k8s-file log line, as conmon would);
- `sleep ...` (and `sh` without `-c`) runs until a signal ends it; as PID 1 it ignores
  SIGTERM and other signals without a handler, so only SIGKILL ends it, unless the test
  sets `handles_term` (or puts the signal in `handled_signals`);
- `cat` writes each record its stdin gets as a log line and ends with 0 at the stdin's EOF:
  at once without -i (/dev/null), when a client closes the input of a StdinOnce run, and
  never with a TTY or `--leave-stdin-open`;
- any other program is "not found", with crun's own wording, when the container is created.

As with crun, a created container's init can be killed (only SIGKILL ends it), `delete
--force` kills a live init first, and a create is refused while the runtime still keeps
state of an earlier run that was not deleted. The monitor (conmon) records the exit code
and ends with the run; it survives an engine restart: a test that builds new services on
the same FakeRuntime sees the runs as a restarted engine sees them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.runtime.crun import RuntimeState, RuntimeStatus
from tuibox.engine.runtime.protocol import NO_STDIN, Stdio

ENDS_AT_ONCE = {"true", "false", "sh", "echo"}
RUNS_UNTIL_KILLED = {"sleep", "sh", "cat"}


@dataclass
class FakeRun:
    """One container as the fake runtime and its monitor know it."""

    args: list[str]
    log: Path
    pid: int
    status: RuntimeStatus = "created"
    monitor_alive: bool = True
    exit_code: int | None = None
    exit_time: float | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    signals: list[int] = field(default_factory=list)
    deleted: bool = False
    resources: dict[str, Any] | None = None
    pending_exit: int | None = None
    """The exit a signal sent while paused brings once the run is thawed."""
    config: dict[str, Any] = field(default_factory=dict)
    """The bundle's config.json as it was at create."""
    stdio: Stdio = NO_STDIN
    stdin: list[bytes] = field(default_factory=list)
    """Every record the run's stdin got, in order."""
    stdin_closed: bool = False
    sizes: list[tuple[int, int]] = field(default_factory=list)
    """Every terminal size asked for, in order."""
    output_closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the run ends: the monitor closes its attach clients."""


class FakeAttachStream:
    """A client's connection to a fake run's monitor: input goes to the run, EOF to cat."""

    def __init__(self, runtime: FakeRuntime, container_id: str, run: FakeRun) -> None:
        self.runtime = runtime
        self.container_id = container_id
        self.run = run
        self.closed = False

    async def records(self) -> AsyncIterator[tuple[str, bytes]]:
        await self.run.output_closed.wait()
        return
        yield  # an async generator that ends with the run

    async def send(self, data: bytes) -> None:
        if self.closed or self.run.status == "stopped":
            raise RuntimeFailure("cannot write to the container's stdin: broken pipe")
        assert data, "an empty record reads as EOF to conmon"
        self.run.stdin.append(data)
        if self.run.status == "running" and self.run.args[0].rsplit("/", 1)[-1] == "cat":
            FakeRuntime._log(self.run, "stdout", data.decode().rstrip("\n"))

    def close_input(self) -> None:
        stdio = self.run.stdio
        if stdio.terminal or not stdio.stdin or not stdio.stdin_once or self.run.stdin_closed:
            return  # conmon closes stdin only for -i without --leave-stdin-open
        self.run.stdin_closed = True
        if self.run.args[0].rsplit("/", 1)[-1] == "cat" and self.run.status == "running":
            self.runtime.end(self.container_id, 0)

    def close(self) -> None:
        self.closed = True


class FakeExec:
    """A fake exec'd process playing its command: `echo WORDS`, `sh -c "exit N"`, `cat`
    (copies stdin until EOF), `sleep` (runs until killed); any other program is missing."""

    _missing = ""

    def __init__(self, process: dict[str, Any], stdin: bool) -> None:
        self.process = process
        self.pid = 5000
        self.stdin_open = stdin
        self.size: tuple[int, int] | None = None
        self._output: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        args: list[str] = process["args"]
        program = args[0].rsplit("/", 1)[-1]
        if program == "echo":
            self._say(" ".join(args[1:]) + "\n")
            self._end(0)
        elif program == "sh" and args[1:2] == ["-c"]:
            self._end(_exit_status(args[2] if len(args) > 2 else ""))
        elif program not in ("cat", "sleep"):  # cat echoes write() until close_stdin()
            self._missing = (f"executable file `{args[0]}` not found in $PATH: No such file or "
                             "directory")
            self.pid = 0  # it never started
            self._output.put_nowait(None)
            self._exit.set_result(-1)

    @property
    def tty(self) -> bool:
        return bool(self.process.get("terminal"))

    def _say(self, text: str) -> None:
        data = text.replace("\n", "\r\n") if self.tty else text
        self._output.put_nowait(("stdout", data.encode()))

    def _end(self, code: int) -> None:
        if not self._exit.done():
            self._output.put_nowait(None)
            self._exit.set_result(code)

    async def output(self) -> AsyncIterator[tuple[str, bytes]]:
        while (item := await self._output.get()) is not None:
            yield item

    async def write(self, data: bytes) -> None:
        if self.process["args"][0] == "cat" and not self._exit.done():
            self._output.put_nowait(("stdout", data))

    def close_stdin(self) -> None:
        if not self.tty and self.process["args"][0] == "cat":
            self._end(0)

    def resize(self, height: int, width: int) -> None:
        self.size = (height, width)

    async def wait(self) -> int:
        code = await self._exit
        if code == -1:
            raise RuntimeFailure(self._missing)
        return code

    def kill(self) -> None:
        self._end(137)


class FakeRuntime:
    """A fake runtime satisfying the Runtime protocol; see the module docstring.

    `fail_create[container_id or "*"] = text` makes the next creates fail with crun's
    `text`; `calls` records every call as (method, container id, extra), and
    `signals_sent` reads the kill calls of one container back from it.
    """

    def __init__(self) -> None:
        self.runs: dict[str, FakeRun] = {}
        self.calls: list[tuple[str, str, object]] = []
        self.fail_create: dict[str, str] = {}
        self.fail_update = ""
        self.execs: list[FakeExec] = []
        """Every process exec'd, in order."""
        """When set, updates fail with these words (as a kernel refusing a limit makes crun)."""
        self.handles_term = False
        self.handled_signals: set[int] = set()
        """Signals the init process has a handler for: each ends the run with 128 + N."""
        self._pids = itertools.count(4000)

    def _run(self, container_id: str) -> FakeRun:
        run = self.runs.get(container_id)
        if run is None:
            raise RuntimeFailure(f"container `{container_id}` does not exist")
        return run

    async def create(
        self, container_id: str, bundle: Path, log_path: Path, stdio: Stdio = NO_STDIN
    ) -> int:
        self.calls.append(("create", container_id, None if stdio == NO_STDIN else stdio))
        config = json.loads((bundle / "config.json").read_text())
        args: list[str] = config["process"]["args"]
        failure = self.fail_create.get(container_id) or self.fail_create.get("*")
        if failure is None and args[0].rsplit("/", 1)[-1] not in ENDS_AT_ONCE | RUNS_UNTIL_KILLED:
            failure = f"executable file `{args[0]}` not found in $PATH: No such file or directory"
        if failure is not None:
            raise RuntimeFailure(f"cannot create container {container_id}: {failure}")
        earlier = self.runs.get(container_id)
        if earlier is not None and not earlier.deleted:
            raise RuntimeFailure(
                f"cannot create container {container_id}: container `{container_id}` already exists"
            )
        run = FakeRun(args=args, log=log_path, pid=next(self._pids), config=config, stdio=stdio)
        self.runs[container_id] = run
        return run.pid

    async def attach(self, container_id: str, bundle: Path) -> FakeAttachStream:
        self.calls.append(("attach", container_id, None))
        run = self._run(container_id)
        if run.stdio == NO_STDIN or run.status == "stopped":
            raise RuntimeFailure("cannot attach to the container: no such socket")
        return FakeAttachStream(self, container_id, run)

    async def resize(self, container_id: str, bundle: Path, height: int, width: int) -> None:
        self.calls.append(("resize", container_id, (height, width)))
        run = self._run(container_id)
        if not run.stdio.terminal or run.status == "stopped":
            raise RuntimeFailure("the container has no terminal monitor to resize")
        run.sizes.append((height, width))

    async def start(self, container_id: str) -> None:
        self.calls.append(("start", container_id, None))
        run = self._run(container_id)
        if run.status != "created":
            raise RuntimeFailure(f"container `{container_id}` is not in created state")
        run.status = "running"
        program = run.args[0].rsplit("/", 1)[-1]
        if program == "true":
            self.end(container_id, 0)
        elif program == "false":
            self.end(container_id, 1)
        elif program == "echo":
            self._log(run, "stdout", " ".join(run.args[1:]))
            self.end(container_id, 0)
        elif program == "sh" and run.args[1:2] == ["-c"]:
            self.end(container_id, _exit_status(run.args[2] if len(run.args) > 2 else ""))
        elif program == "cat":  # it reads what came before start, then EOF if it came too
            for data in run.stdin:
                self._log(run, "stdout", data.decode().rstrip("\n"))
            if not run.stdio.stdin or run.stdin_closed:
                self.end(container_id, 0)

    async def kill(self, container_id: str, signal_number: int) -> None:
        self.calls.append(("kill", container_id, signal_number))
        run = self._run(container_id)
        if run.status not in ("created", "running", "paused"):
            raise RuntimeFailure("kill: container not running")
        run.signals.append(signal_number)
        handled = run.status in ("running", "paused") and (
            signal_number in self.handled_signals
            or (signal_number == signal.SIGTERM and self.handles_term)
        )
        if signal_number == signal.SIGKILL or handled:
            if run.status == "paused":  # a frozen process takes the signal once thawed
                run.pending_exit = 128 + signal_number
            else:
                self.end(container_id, 128 + signal_number)

    async def exec(
        self, container_id: str, exec_id: str, process: dict[str, Any], *, stdin: bool
    ) -> FakeExec:
        self.calls.append(("exec", container_id, process))
        run = self._run(container_id)
        if run.status != "running":
            raise RuntimeFailure(f"exec: container `{container_id}` is not running")
        handle = FakeExec(process, stdin)
        self.execs.append(handle)
        return handle

    async def pause(self, container_id: str) -> None:
        self.calls.append(("pause", container_id, None))
        run = self._run(container_id)
        if run.status != "running":
            raise RuntimeFailure(f"container `{container_id}` is not running")
        run.status = "paused"

    async def resume(self, container_id: str) -> None:
        self.calls.append(("resume", container_id, None))
        run = self._run(container_id)
        if run.status != "paused":
            raise RuntimeFailure(f"container `{container_id}` is not paused")
        run.status = "running"
        if run.pending_exit is not None:
            self.end(container_id, run.pending_exit)

    async def update(self, container_id: str, resources: dict[str, Any]) -> None:
        self.calls.append(("update", container_id, resources))
        run = self._run(container_id)
        if run.status != "running":
            raise RuntimeFailure(f"update: container `{container_id}` is not running")
        if self.fail_update:
            raise RuntimeFailure(self.fail_update)
        run.resources = resources

    async def delete(self, container_id: str, *, force: bool = False) -> None:
        self.calls.append(("delete", container_id, force))
        run = self.runs.get(container_id)
        if run is None:
            return
        if run.status in ("running", "paused") and not force:
            raise RuntimeFailure(f"container `{container_id}` is running")
        if run.status in ("created", "running", "paused"):  # crun kills the live init first
            self.end(container_id, 128 + signal.SIGKILL)
        run.status = "stopped"
        run.pid = 0
        run.deleted = True

    async def state(self, container_id: str) -> RuntimeState | None:
        run = self.runs.get(container_id)
        if run is None or run.deleted:
            return None
        return RuntimeState(run.status, run.pid if run.status != "stopped" else 0)

    async def wait_exit(self, container_id: str) -> int:
        run = self._run(container_id)
        while run.exit_code is None:
            if not run.monitor_alive:
                raise RuntimeFailure(
                    f"the monitor (conmon) of container {container_id} is gone "
                    "without recording an exit code"
                )
            waiter = asyncio.ensure_future(run.ended.wait())
            await waiter
            run.ended.clear()
        return run.exit_code

    def exit_code(self, container_id: str) -> int | None:
        run = self.runs.get(container_id)
        return None if run is None else run.exit_code

    def exit_time(self, container_id: str) -> float | None:
        run = self.runs.get(container_id)
        return None if run is None else run.exit_time

    def conmon_alive(self, container_id: str) -> bool:
        run = self.runs.get(container_id)
        return run is not None and run.monitor_alive

    def has_state(self, container_id: str) -> bool:
        run = self.runs.get(container_id)
        return run is not None and not run.deleted

    def cleanup(self, container_id: str) -> None:
        self.calls.append(("cleanup", container_id, None))
        run = self.runs.get(container_id)
        if run is not None and not run.monitor_alive:
            del self.runs[container_id]

    # --- what tests make happen or look at -------------------------------------------

    def bundle_config(self, container_id: str) -> dict[str, Any]:
        """The config.json the container's current run was created from."""
        return self._run(container_id).config

    def signals_sent(self, container_id: str) -> list[int]:
        """The signal numbers of every kill call for the container, in order."""
        return [
            int(str(extra))
            for method, cid, extra in self.calls
            if method == "kill" and cid == container_id
        ]

    def end(self, container_id: str, exit_code: int) -> None:
        """The container's process exits with `exit_code`; its monitor records it and ends.

        A run that ended already is left as it is: a process exits once.
        """
        run = self._run(container_id)
        if run.status == "stopped":
            return
        run.status = "stopped"
        run.exit_code = exit_code
        run.exit_time = time.time()
        run.monitor_alive = False
        run.ended.set()
        run.output_closed.set()

    def lose_monitor(self, container_id: str) -> None:
        """The monitor dies without recording an exit code (OOM-killed conmon, say)."""
        run = self._run(container_id)
        run.status = "stopped"
        run.monitor_alive = False
        run.ended.set()
        run.output_closed.set()

    @staticmethod
    def _log(run: FakeRun, stream: str, text: str) -> None:
        with run.log.open("a") as log:
            log.write(f"{timestamps.now()} {stream} F {text}\n")


def _exit_status(script: str) -> int:
    words = script.split()
    if len(words) == 2 and words[0] == "exit" and words[1].isdigit():
        return int(words[1]) % 256
    return 0
