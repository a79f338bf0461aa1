"""Provides Runtime: what the container services need from the conmon + crun driver.

The services decide; a runtime only does. ConmonRuntime is the real one; the unit tests
hand the services a fake that keeps containers in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tuibox.engine.runtime.crun import RuntimeState


@dataclass(frozen=True)
class Stdio:
    """How a run's stdin is wired: a terminal, an open pipe, or nothing (/dev/null)."""

    terminal: bool = False
    stdin: bool = False
    stdin_once: bool = False
    """The first attached client's EOF closes stdin (Docker's StdinOnce, `run -i`)."""


NO_STDIN = Stdio()


class AttachStream(Protocol):
    """One connection to a run's monitor: its output as it comes, input for its stdin."""

    def records(self) -> AsyncIterator[tuple[str, bytes]]:
        """("stdout" | "stderr", bytes) until the run's output ends."""
        ...

    async def send(self, data: bytes) -> None:
        """Bytes for the run's stdin."""
        ...

    def close_input(self) -> None:
        """EOF on the run's stdin, where the run's Stdio lets a client close it."""
        ...

    def close(self) -> None:
        """Drop the connection."""
        ...


class ExecHandle(Protocol):
    """One process started in a running container (`docker exec`)."""

    pid: int

    @property
    def tty(self) -> bool:
        """Whether it has a terminal (then all output is "stdout" and stdin stays open)."""
        ...

    def output(self) -> AsyncIterator[tuple[str, bytes]]:
        """("stdout" | "stderr", bytes) until the process's output ends."""
        ...

    async def write(self, data: bytes) -> None:
        """Bytes to its stdin."""
        ...

    def close_stdin(self) -> None:
        """EOF on its stdin (nothing for a TTY)."""
        ...

    def resize(self, height: int, width: int) -> None:
        """A new terminal size (nothing without a TTY)."""
        ...

    async def wait(self) -> int:
        """Its exit code; RuntimeFailure with the runtime's words if it never started."""
        ...

    def kill(self) -> None:
        """End it now."""
        ...


class Runtime(Protocol):
    """Runs containers from OCI bundles and reports how they ended.

    Lifecycle of one container: `create` (its monitor starts and the init process waits),
    `start`, any number of `kill`s, then the run ends on its own; `wait_exit` returns its
    code and `exit_code`/`exit_time` read it again later, even from another engine process,
    since the monitor outlives the engine. `delete` and `cleanup` free what the run left,
    and a new `create` may follow. Every method raises RuntimeFailure with the tool's words.
    """

    async def create(
        self, container_id: str, bundle: Path, log_path: Path, stdio: Stdio = NO_STDIN
    ) -> int:
        """Create the container from `bundle`, logging to `log_path`; returns the init pid."""
        ...

    async def attach(self, container_id: str, bundle: Path) -> AttachStream:
        """Connect to the created or running container's stdio (a run with a Stdio)."""
        ...

    async def resize(self, container_id: str, bundle: Path, height: int, width: int) -> None:
        """Resize the terminal of a run created with one."""
        ...

    async def start(self, container_id: str) -> None:
        """Let the created container's process run."""
        ...

    async def kill(self, container_id: str, signal: int) -> None:
        """Send `signal` to the container's init process."""
        ...

    async def pause(self, container_id: str) -> None:
        """Freeze the container's processes."""
        ...

    async def resume(self, container_id: str) -> None:
        """Thaw a paused container."""
        ...

    async def exec(
        self, container_id: str, exec_id: str, process: dict[str, Any], *, stdin: bool
    ) -> ExecHandle:
        """Start the OCI `process` in the running container; `stdin` opens a pipe to it."""
        ...

    async def update(self, container_id: str, resources: dict[str, Any]) -> None:
        """Apply new OCI `linux.resources` to a running container's cgroup."""
        ...

    async def delete(self, container_id: str, *, force: bool = False) -> None:
        """Forget the container; one the runtime does not know is success."""
        ...

    async def state(self, container_id: str) -> RuntimeState | None:
        """Status and pid of the container, None when the runtime does not know it."""
        ...

    async def wait_exit(self, container_id: str) -> int:
        """Wait until the run ended; its exit code (128 + N for signal N)."""
        ...

    def exit_code(self, container_id: str) -> int | None:
        """The recorded exit code, None while the run has not ended."""
        ...

    def exit_time(self, container_id: str) -> float | None:
        """When the exit was recorded (Unix seconds), None if it was not."""
        ...

    def conmon_alive(self, container_id: str) -> bool:
        """Whether the container's monitor process still runs."""
        ...

    def has_state(self, container_id: str) -> bool:
        """Whether the runtime still keeps state for the container (it needs a delete)."""
        ...

    def cleanup(self, container_id: str) -> None:
        """Remove the exit record and monitor files of the container."""
        ...
