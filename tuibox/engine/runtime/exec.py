"""Provides ExecProcess: one `crun exec` in a running container, its stdio and its exit.

Without a TTY the process's stdin, stdout and stderr are pipes to the engine. With one,
crun hands the pty master over a console socket (SCM_RIGHTS) and the engine reads and
writes it, and resizes it with TIOCSWINSZ. crun exec stays in the foreground and exits
with the process's code (128 + N for signal N); its own errors go to a JSON log file, so
a failure to start ("executable file not found") is told apart from the process's 255.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import select
import shutil
import socket
import struct
import termios
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tuibox.engine.domain.errors import RuntimeFailure

READ_SIZE = 32768
CONSOLE_TIMEOUT = 10.0


class ExecProcess:
    """A process started in a container; read `output()`, feed `write()`, await `wait()`."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        session_dir: Path,
        master: int | None,
    ) -> None:
        self.proc = proc
        self.session_dir = session_dir
        self.master = master
        self.pid = 0
        self._stdin_open = True

    @property
    def tty(self) -> bool:
        return self.master is not None

    async def output(self) -> AsyncIterator[tuple[str, bytes]]:
        """("stdout" | "stderr", bytes) as the process writes them, until both streams end."""
        if self.master is not None:
            async for chunk in _read_fd(self.master):
                yield "stdout", chunk
            return
        assert self.proc.stdout is not None and self.proc.stderr is not None
        queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()

        async def pump(name: str, reader: asyncio.StreamReader) -> None:
            try:
                while chunk := await reader.read(READ_SIZE):
                    await queue.put((name, chunk))
            finally:
                await queue.put(None)

        tasks = [asyncio.create_task(pump("stdout", self.proc.stdout)),
                 asyncio.create_task(pump("stderr", self.proc.stderr))]  # fmt: skip
        try:
            ended = 0
            while ended < 2:
                item = await queue.get()
                if item is None:
                    ended += 1
                else:
                    yield item
        finally:
            for task in tasks:
                task.cancel()

    async def write(self, data: bytes) -> None:
        """Send bytes to the process's stdin (the pty with a TTY)."""
        if self.master is not None:
            await asyncio.to_thread(_write_all, self.master, data)
            return
        stdin = self.proc.stdin
        if stdin is None or not self._stdin_open:
            return
        with contextlib.suppress(ConnectionError):
            stdin.write(data)
            await stdin.drain()

    def close_stdin(self) -> None:
        """The client's stdin ended: the process reads EOF (a TTY's stdin stays open)."""
        if self.master is None and self.proc.stdin is not None and self._stdin_open:
            self._stdin_open = False
            self.proc.stdin.close()

    def resize(self, height: int, width: int) -> None:
        """Set the pty's size; the kernel sends SIGWINCH to the foreground process group."""
        if self.master is not None:
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    async def wait(self) -> int:
        """The exit code; raises RuntimeFailure with crun's words when it could not start."""
        code = await self.proc.wait()
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None
        error = self._crun_error()
        shutil.rmtree(self.session_dir, ignore_errors=True)
        if error is not None:
            raise RuntimeFailure(error)
        return code

    def _crun_error(self) -> str | None:
        try:
            lines = (self.session_dir / "crun.log").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("level") == "error":
                    return str(entry.get("msg") or "crun exec failed")
        return None

    def kill(self) -> None:
        """End crun exec (the engine is going away or the container was removed)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()


async def start_exec(
    crun_path: str,
    crun_global_args: list[str],
    container_id: str,
    process: dict[str, Any],
    session_dir: Path,
    *,
    stdin: bool,
) -> ExecProcess:
    """Run `crun exec` with `process` (OCI process JSON) in the container.

    Raises:
        RuntimeFailure: crun could not be run, or gave no console in time.
    """
    session_dir.mkdir(parents=True, exist_ok=True)
    spec = session_dir / "process.json"
    spec.write_text(json.dumps(process))
    pid_file = session_dir / "pid"
    args = [crun_path, *crun_global_args, f"--log={session_dir / 'crun.log'}",
            "--log-format=json", "exec", "--process", str(spec), "--pid-file", str(pid_file)]
    tty = bool(process.get("terminal"))
    listener: socket.socket | None = None
    if tty:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        console = session_dir / "console.sock"
        with contextlib.suppress(FileNotFoundError):
            console.unlink()
        directory = os.open(session_dir, os.O_PATH)  # bound through it: no sun_path limit
        try:
            listener.bind(f"/proc/self/fd/{directory}/console.sock")
        finally:
            os.close(directory)
        listener.listen(1)
        listener.setblocking(False)
        args += ["--console-socket", str(console)]
    args.append(container_id)
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE if stdin and not tty else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL if tty else asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL if tty else asyncio.subprocess.PIPE,
        )
    except OSError as err:
        if listener is not None:
            listener.close()
        raise RuntimeFailure(f"cannot run {crun_path}: {err}") from err
    master: int | None = None
    if listener is not None:
        try:
            master = await _receive_master(listener, proc)
        finally:
            listener.close()
    process_handle = ExecProcess(proc, session_dir, master)
    process_handle.pid = await _read_pid(pid_file, proc)
    return process_handle


async def _receive_master(listener: socket.socket, proc: asyncio.subprocess.Process) -> int | None:
    """The pty master crun sends; None when crun ended first (it failed to start)."""
    loop = asyncio.get_running_loop()
    accept = asyncio.ensure_future(loop.sock_accept(listener))
    ended = asyncio.ensure_future(proc.wait())
    try:
        done, _ = await asyncio.wait({accept, ended}, timeout=CONSOLE_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        if accept not in done:
            if not done:
                proc.kill()
                raise RuntimeFailure("crun exec gave no console within 10 s")
            return None
        connection, _ = accept.result()
    finally:
        accept.cancel()
        if not ended.done():
            ended.cancel()
    with connection:
        connection.setblocking(True)
        _, fds, _, _ = await asyncio.to_thread(socket.recv_fds, connection, 1024, 1)
    if not fds:
        raise RuntimeFailure("crun exec sent no terminal")
    os.set_blocking(fds[0], False)
    return fds[0]


async def _read_pid(pid_file: Path, proc: asyncio.subprocess.Process) -> int:
    """The process's pid, once crun wrote it (0 if crun ended without)."""
    for _ in range(500):
        with contextlib.suppress(OSError, ValueError):
            return int(pid_file.read_text().strip())
        if proc.returncode is not None:
            return 0
        await asyncio.sleep(0.01)
    return 0


async def _read_fd(fd: int) -> AsyncIterator[bytes]:
    """Bytes from a non-blocking fd (the pty master) until EOF or EIO (the pty closed)."""
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    loop.add_reader(fd, ready.set)
    try:
        while True:
            await ready.wait()
            ready.clear()
            try:
                chunk = os.read(fd, READ_SIZE)
            except BlockingIOError:
                continue
            except OSError:  # EIO: every slave fd is closed
                return
            if not chunk:
                return
            yield chunk
    finally:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]
