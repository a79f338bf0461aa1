"""Drive conmon + crun: the conmon argv (pure), the sync-pipe handshake, exit files, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.runtime.attach import AttachChannel, write_resize
from tuibox.engine.runtime.crun import Crun, RuntimeState
from tuibox.engine.runtime.exec import ExecProcess, start_exec
from tuibox.engine.runtime.monitor_start import MonitorPlacement, spawn_monitor
from tuibox.engine.runtime.protocol import NO_STDIN, Stdio

CREATE_TIMEOUT_S = 60.0
EXIT_FILE_POLL_S = 0.1  # only when pidfd_open is unavailable
MONITOR_FILES = ("attach", "ctl", "winsz")
"""What conmon makes in the bundle (it removes only `attach` when it ends)."""


@dataclass(frozen=True)
class ConmonPaths:
    """The files conmon and crun keep under the exec root for each container."""

    exec_root: Path

    @property
    def crun_root(self) -> Path:
        """crun's state root (``crun --root``)."""
        return self.exec_root / "crun"

    @property
    def exits_dir(self) -> Path:
        """conmon's ``--exit-dir``: one file per exited container holding its exit code."""
        return self.exec_root / "exits"

    @property
    def sockets_dir(self) -> Path:
        """conmon's ``--socket-dir-path``; must exist or conmon exits 1 without a word."""
        return self.exec_root / "sockets"

    def conmon_dir(self, container_id: str) -> Path:
        """Per-container dir holding conmon's and the container's pid files."""
        return self.exec_root / "conmon" / container_id

    def conmon_pidfile(self, container_id: str) -> Path:
        """Where the daemonised conmon writes its own pid."""
        return self.conmon_dir(container_id) / "conmon.pid"

    def container_pidfile(self, container_id: str) -> Path:
        """Where crun writes the container init pid."""
        return self.conmon_dir(container_id) / "pidfile"

    def exit_file(self, container_id: str) -> Path:
        """conmon's exit file for the container."""
        return self.exits_dir / container_id


def pids_max_file(cgroup_lines: list[str], root: Path = Path("/sys/fs/cgroup")) -> Path | None:
    """The pids.max of the cgroup a /proc/<pid>/cgroup text names.

    v1 lines read "7:pids:/tuibox/<id>"; the cgroup2 line reads "0::/path", its mount being
    the root on a v2 host and `unified` below it on a hybrid one.
    """
    unified_path: str | None = None
    for line in cgroup_lines:
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            return root / "pids" / path.lstrip("/") / "pids.max"
        if controllers == "":
            unified_path = path.lstrip("/")
    if unified_path is None:
        return None
    mount = root if (root / "cgroup.controllers").exists() else root / "unified"
    return mount / unified_path / "pids.max"


def build_conmon_argv(
    paths: ConmonPaths,
    container_id: str,
    bundle: Path,
    log_path: Path,
    *,
    conmon_path: str,
    crun_path: str,
    crun_global_args: list[str],
    name: str | None = None,
    log_level: str = "error",
    stdio: Stdio = NO_STDIN,
) -> list[str]:
    """Return the conmon command line for ``crun create`` of one container (pure).

    Modelled on podman's ``sharedConmonArgs``: a terminal is ``-t`` alone (conmon then
    never closes its input); an open stdin is ``-i``, with ``--leave-stdin-open`` unless
    the first attached client's EOF is to close it (Docker's StdinOnce).
    """
    argv = [
        conmon_path,
        "--api-version", "1",
        "-c", container_id,
        "-u", container_id,
        "-r", crun_path,
        "-b", str(bundle),
        "-p", str(paths.container_pidfile(container_id)),
        "-n", name or container_id,
        "--exit-dir", str(paths.exits_dir),
        "--socket-dir-path", str(paths.sockets_dir),
        "--conmon-pidfile", str(paths.conmon_pidfile(container_id)),
        "-l", f"k8s-file:{log_path}",
        "--full-attach",
    ]  # fmt: skip
    if stdio.terminal:
        argv.append("-t")
    elif stdio.stdin:
        argv.append("-i")
        if not stdio.stdin_once:
            argv.append("--leave-stdin-open")
    for arg in crun_global_args:
        argv += ["--runtime-arg", arg]
    argv += ["--log-level", log_level]
    return argv


def parse_sync_message(line: bytes) -> int:
    """Return the pid conmon reported on its sync pipe (pure).

    Raises:
        RuntimeFailure: conmon reported an error (negative ``data``; the text is crun's own)
            or wrote something that is not its JSON message.
    """
    try:
        message = json.loads(line)
        data = int(message["data"])
    except (ValueError, KeyError, TypeError) as err:
        raise RuntimeFailure(f"conmon wrote an unexpected sync message: {line[:200]!r}") from err
    if data < 0:
        text = str(message.get("message") or f"error {data}").strip()
        raise RuntimeFailure(text)
    return data


class ConmonRuntime:
    """Create containers through conmon, drive them with crun; no state decisions here."""

    def __init__(
        self, exec_root: Path, *, crun_path: str = "crun", conmon_path: str = "conmon",
        place_monitor: MonitorPlacement | None = None,
    ) -> None:
        self.paths = ConmonPaths(exec_root.absolute())
        self.crun = Crun(self.paths.crun_root, crun_path)
        self.crun_path = shutil.which(crun_path) or crun_path
        self.conmon_path = conmon_path
        self.log_level = "error"
        self.place_monitor = place_monitor
        """Moves each conmon out of the engine's cgroup before it forks (None: it stays)."""

    def _prepare(self, container_id: str) -> None:
        for path in (self.paths.crun_root, self.paths.exits_dir, self.paths.sockets_dir):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.cleanup(container_id)  # a stale exit file would end the next wait at once
        self.paths.conmon_dir(container_id).mkdir(mode=0o700, parents=True)

    async def create(
        self, container_id: str, bundle: Path, log_path: Path, stdio: Stdio = NO_STDIN
    ) -> int:
        """Spawn conmon, which runs ``crun create``; return the container init pid.

        Raises:
            RuntimeFailure: conmon or crun failed; the text is theirs. Nothing is left behind.
        """
        self._prepare(container_id)
        for leftover in MONITOR_FILES:  # an earlier run's FIFOs would confuse the new conmon
            (bundle / leftover).unlink(missing_ok=True)
        argv = build_conmon_argv(
            self.paths, container_id, bundle, log_path,
            conmon_path=self.conmon_path, crun_path=self.crun_path,
            crun_global_args=self.crun.global_args(), log_level=self.log_level, stdio=stdio,
        )  # fmt: skip
        try:
            async with asyncio.timeout(CREATE_TIMEOUT_S):
                return await self._spawn_and_handshake(argv, bundle)
        except (RuntimeFailure, TimeoutError, asyncio.CancelledError) as err:
            await self._undo_create(container_id)
            if isinstance(err, TimeoutError):
                raise RuntimeFailure(f"conmon did not report on {container_id} in time") from err
            if isinstance(err, RuntimeFailure):
                raise RuntimeFailure(f"cannot create container {container_id}: {err}") from err
            raise

    async def _spawn_and_handshake(self, argv: list[str], bundle: Path) -> int:
        read_fd, write_fd = os.pipe()
        try:
            proc = await spawn_monitor(
                argv,
                self.place_monitor,
                pass_fds=(write_fd,),
                env={**os.environ, "_OCI_SYNCPIPE": str(write_fd)},
                cwd=bundle,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            os.close(read_fd)
            raise RuntimeFailure(f"cannot run {argv[0]}: {err}") from err
        finally:
            os.close(write_fd)
        line, (stdout, stderr) = await asyncio.gather(_read_line(read_fd), proc.communicate())
        if line:
            return parse_sync_message(line)
        text = (stderr or stdout).decode(errors="replace").strip()
        raise RuntimeFailure(f"conmon exited with {proc.returncode}: {text or 'no message'}")

    async def _undo_create(self, container_id: str) -> None:
        """Stop conmon, wait until it is gone, then make crun forget the container.

        Deleting while conmon's `crun create` may still run could leave its init behind.
        """
        pid = self._conmon_pid(container_id)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await _wait_process_exit(pid)
        with contextlib.suppress(RuntimeFailure):
            await self.crun.delete(container_id, force=True)
        self.cleanup(container_id)

    async def start(self, container_id: str) -> None:
        """Start the created container (``crun start``)."""
        await self.crun.start(container_id)

    async def attach(self, container_id: str, bundle: Path) -> AttachChannel:
        """A connection to the run's attach socket, which conmon makes before the runtime."""
        return await AttachChannel.connect(bundle / "attach")

    async def resize(self, container_id: str, bundle: Path, height: int, width: int) -> None:
        """Resize the run's terminal through conmon's ctl FIFO."""
        await write_resize(bundle / "ctl", height, width)

    async def kill(self, container_id: str, signal: int) -> None:
        """Send ``signal`` to the container's init process."""
        await self.crun.kill(container_id, signal)

    async def exec(
        self, container_id: str, exec_id: str, process: dict[str, Any], *, stdin: bool
    ) -> ExecProcess:
        """`crun exec` in the foreground; its files live under <exec-root>/execs/<id>."""
        session = self.paths.exec_root / "execs" / exec_id[:12]
        return await start_exec(self.crun_path, self.crun.global_args(), container_id,
                                process, session, stdin=stdin)  # fmt: skip

    async def pause(self, container_id: str) -> None:
        """Freeze the container's processes (``crun pause``)."""
        await self.crun.pause(container_id)

    async def resume(self, container_id: str) -> None:
        """Thaw the container (``crun resume``)."""
        await self.crun.resume(container_id)

    async def update(self, container_id: str, resources: dict[str, Any]) -> None:
        """Write the new resources beside the monitor's files and hand them to crun update."""
        path = self.paths.conmon_dir(container_id) / "resources.json"
        try:
            path.write_text(json.dumps(resources))
        except OSError as err:
            raise RuntimeFailure(f"cannot write the new limits: {err}") from err
        try:
            await self.crun.update(container_id, path)
        finally:
            path.unlink(missing_ok=True)
        if (resources.get("pids") or {}).get("limit", 1) <= 0:
            await asyncio.to_thread(self._lift_pids_limit, container_id)

    def _lift_pids_limit(self, container_id: str) -> None:
        """Write "max" to the container's pids.max: crun 1.8 skips a limit of 0 and writes
        -1 as a number, which pids.max refuses, so it cannot lift a limit itself."""
        try:
            pid = int(self.paths.container_pidfile(container_id).read_text().strip())
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except (OSError, ValueError) as err:
            raise RuntimeFailure(f"cannot find the container's pids cgroup: {err}") from err
        target = pids_max_file(lines)
        if target is None:
            raise RuntimeFailure("the container has no pids cgroup to lift the limit of")
        try:
            target.write_text("max")
        except OSError as err:
            raise RuntimeFailure(f"cannot lift the pids limit: {err}") from err

    async def delete(self, container_id: str, *, force: bool = False) -> None:
        """Delete the container from crun; a container crun does not know is success."""
        await self.crun.delete(container_id, force=force)

    async def state(self, container_id: str) -> RuntimeState | None:
        """crun's status and pid of the container, None when crun does not know it."""
        return await self.crun.state(container_id)

    def exit_code(self, container_id: str) -> int | None:
        """The exit code conmon recorded (128+N for signal N), None if not exited yet."""
        try:
            text = self.paths.exit_file(container_id).read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return int(text)
        except ValueError:
            return None

    def conmon_alive(self, container_id: str) -> bool:
        """Whether the conmon monitoring this container is still running."""
        return self._conmon_pid(container_id) is not None

    def _conmon_pid(self, container_id: str) -> int | None:
        """conmon's pid from its pid file, if that process is still this container's conmon."""
        try:
            pid = int(self.paths.conmon_pidfile(container_id).read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        is_conmon = Path(os.fsdecode(cmdline[0])).name.startswith("conmon")
        return pid if is_conmon and container_id.encode() in cmdline else None

    async def wait_exit(self, container_id: str) -> int:
        """Return the exit code once the container exited and conmon wrote its exit file.

        Works for a conmon started by an earlier engine process: it waits on a pidfd of
        conmon (no polling), falling back to watching the exit file.

        Raises:
            RuntimeFailure: conmon is gone without having written an exit code.
        """
        while True:
            code = self.exit_code(container_id)
            if code is not None:
                return code
            pid = self._conmon_pid(container_id)
            if pid is None:
                code = self.exit_code(container_id)  # conmon may have exited just now
                if code is not None:
                    return code
                raise RuntimeFailure(
                    f"the monitor (conmon) of container {container_id} is gone "
                    "without recording an exit code"
                )
            await _wait_process_exit(pid)

    def exit_time(self, container_id: str) -> float | None:
        """When conmon wrote the exit file (Unix seconds), None if there is none."""
        try:
            return self.paths.exit_file(container_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def has_state(self, container_id: str) -> bool:
        """Whether crun still keeps state for the container (it needs a delete)."""
        return (self.paths.crun_root / container_id).exists()

    def cleanup(self, container_id: str) -> None:
        """Remove the exit file, pid files and socket dir of the container."""
        with contextlib.suppress(FileNotFoundError):
            self.paths.exit_file(container_id).unlink()
        shutil.rmtree(self.paths.conmon_dir(container_id), ignore_errors=True)
        shutil.rmtree(self.paths.sockets_dir / container_id, ignore_errors=True)


async def _read_line(fd: int) -> bytes:
    """Read one line from a pipe fd without blocking the loop; closes the fd."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        return await reader.readline()
    finally:
        transport.close()


async def _wait_process_exit(pid: int) -> None:
    """Wait until process ``pid`` (not necessarily our child) has exited."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except OSError:  # no pidfd support: look again a little later
        await asyncio.sleep(EXIT_FILE_POLL_S)
        return
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()

    def on_exit() -> None:
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(pidfd, on_exit)
    try:
        await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
