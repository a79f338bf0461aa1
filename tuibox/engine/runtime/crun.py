"""crun's command line (state, start, kill, delete) driven through asyncio subprocesses."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tuibox.engine.domain.errors import RuntimeFailure

# A hung crun must not hold a container's lock forever.
CRUN_TIMEOUT_S = 60.0

RuntimeStatus = Literal["creating", "created", "running", "stopped", "paused"]


@dataclass(frozen=True)
class RuntimeState:
    """What crun knows about one container: its status and its init pid (0 once stopped)."""

    status: RuntimeStatus
    pid: int


@dataclass(frozen=True)
class CrunResult:
    """The outcome of one crun invocation."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def error_text(self) -> str:
        """crun's own error message, stripped."""
        return (self.stderr or self.stdout).decode(errors="replace").strip()

    def says_missing(self, state_dir: Path) -> bool:
        """Whether crun failed because it has no state dir for the container.

        Args:
            state_dir: ``<crun root>/<container id>``, which crun names in that error.
        """
        text = self.error_text
        if self.returncode == 0:
            return False
        if "does not exist" in text:
            return True
        return str(state_dir) in text and "No such file or directory" in text


class Crun:
    """crun with a fixed state root (``--root``)."""

    def __init__(self, root: Path, crun_path: str = "crun") -> None:
        self.root = root
        self.crun_path = crun_path

    def global_args(self) -> list[str]:
        """The arguments that precede every crun verb (also given to conmon)."""
        return [f"--root={self.root}"]

    async def run(self, *args: str) -> CrunResult:
        """Run ``crun --root=... <args>`` and collect its output."""
        try:
            proc = await asyncio.create_subprocess_exec(
                self.crun_path,
                *self.global_args(),
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise RuntimeFailure(f"cannot run {self.crun_path}: {err}") from err
        try:
            async with asyncio.timeout(CRUN_TIMEOUT_S):
                stdout, stderr = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeFailure(
                f"crun {' '.join(args)} did not finish within {CRUN_TIMEOUT_S:.0f} s"
            ) from None
        assert proc.returncode is not None
        return CrunResult(proc.returncode, stdout, stderr)

    async def checked(self, verb: str, container_id: str, *args: str) -> None:
        """Run a verb on a container; raise RuntimeFailure with crun's words if it fails."""
        result = await self.run(verb, container_id, *args)
        if result.returncode != 0:
            raise RuntimeFailure(f"crun {verb} {container_id} failed: {result.error_text}")

    async def start(self, container_id: str) -> None:
        """Start a created container (``crun start``)."""
        await self.checked("start", container_id)

    async def kill(self, container_id: str, signal: int) -> None:
        """Send ``signal`` to the container's init process (``crun kill``)."""
        await self.checked("kill", container_id, str(signal))

    async def pause(self, container_id: str) -> None:
        """Freeze the container (``crun pause``: the freezer cgroup)."""
        await self.checked("pause", container_id)

    async def resume(self, container_id: str) -> None:
        """Thaw the container (``crun resume``)."""
        await self.checked("resume", container_id)

    async def update(self, container_id: str, resources_file: Path) -> None:
        """Apply the OCI resources in `resources_file` to the container (``crun update``)."""
        result = await self.run("update", f"--resources={resources_file}", container_id)
        if result.returncode != 0:
            raise RuntimeFailure(f"crun update failed: {result.error_text}")

    async def delete(self, container_id: str, *, force: bool = False) -> None:
        """Delete the container; one crun does not know is already deleted (success)."""
        args = ("--force", container_id) if force else (container_id,)
        result = await self.run("delete", *args)
        if result.returncode != 0 and not result.says_missing(self.root / container_id):
            raise RuntimeFailure(f"crun delete {container_id} failed: {result.error_text}")

    async def state(self, container_id: str) -> RuntimeState | None:
        """Return crun's view of the container, or None when crun does not know it."""
        result = await self.run("state", container_id)
        if result.says_missing(self.root / container_id):
            return None
        if result.returncode != 0:
            raise RuntimeFailure(f"crun state {container_id} failed: {result.error_text}")
        return parse_state(result.stdout)


def parse_state(output: bytes) -> RuntimeState:
    """Parse the JSON that ``crun state`` prints (pure).

    Raises:
        RuntimeFailure: the output is not the JSON crun documents.
    """
    try:
        raw = json.loads(output)
        return RuntimeState(status=raw["status"], pid=int(raw.get("pid") or 0))
    except (ValueError, KeyError, TypeError) as err:
        raise RuntimeFailure(f"crun state printed something unexpected: {output[:200]!r}") from err
