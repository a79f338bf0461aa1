"""Provides Runtime: what the container services need from the conmon + crun driver.

The services decide; a runtime only does. ConmonRuntime is the real one; the unit tests
hand the services a fake that keeps containers in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from tuibox.engine.runtime.crun import RuntimeState


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

    async def create(self, container_id: str, bundle: Path, log_path: Path) -> int:
        """Create the container from `bundle`, logging to `log_path`; returns the init pid."""
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
