"""Provides AttachChannel (conmon's attach socket) and the resize write to its ctl FIFO.

conmon serves `<bundle>/attach`, a SOCK_SEQPACKET socket: each record it sends is one pipe
id byte (2 stdout, 3 stderr) and at most 8192 bytes; each record a client sends goes raw to
the container's stdin. A client's EOF is what closes that stdin (for `-i` without
`--leave-stdin-open`), so the engine keeps one channel per run and half-closes it only
when Docker's rules say stdin ends. A client that stops reading stalls conmon and then
the container: the channel reads all the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from tuibox.engine.domain.errors import RuntimeFailure

RECORD_SIZE = 8193
"""conmon's largest record: 8192 bytes and the pipe id (a smaller recv drops the rest)."""
INPUT_RECORD_SIZE = 32768
"""conmon reads at most this much per record for the container's stdin."""
PIPES = {2: "stdout", 3: "stderr"}
CTL_RETRIES = 50
CTL_RETRY_DELAY = 0.02


class AttachChannel:
    """One connection to a run's attach socket: output records in, stdin records out."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._input_closed = False

    @classmethod
    async def connect(cls, path: Path) -> AttachChannel:
        """Connect through /proc/self/fd, so a bundle path past sun_path's 108 bytes works.

        Raises:
            RuntimeFailure: no socket there (the run ended or never had one).
        """
        try:
            dir_fd = os.open(path.parent, os.O_PATH)
        except OSError as err:
            raise RuntimeFailure(f"cannot open the attach socket's directory: {err}") from err
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(
                sock, f"/proc/self/fd/{dir_fd}/{path.name}"
            )
        except OSError as err:
            sock.close()
            raise RuntimeFailure(f"cannot attach to the container: {err}") from err
        finally:
            os.close(dir_fd)
        return cls(sock)

    async def records(self) -> AsyncIterator[tuple[str, bytes]]:
        """("stdout" | "stderr", bytes) as conmon sends them, until it closes the socket."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                record = await loop.sock_recv(self._sock, RECORD_SIZE)
            except OSError:
                return
            if not record:
                return
            stream = PIPES.get(record[0])
            if stream is not None and len(record) > 1:
                yield stream, record[1:]

    async def send(self, data: bytes) -> None:
        """Bytes for the container's stdin, in records conmon takes whole; never an empty
        record, which conmon would read as EOF.

        Raises:
            RuntimeFailure: the socket is gone (the run ended).
        """
        loop = asyncio.get_running_loop()
        for start in range(0, len(data), INPUT_RECORD_SIZE):
            try:
                await loop.sock_sendall(self._sock, data[start : start + INPUT_RECORD_SIZE])
            except OSError as err:
                raise RuntimeFailure(f"cannot write to the container's stdin: {err}") from err

    def close_input(self) -> None:
        """EOF on the container's stdin (conmon closes it unless told to leave it open)."""
        if not self._input_closed:
            self._input_closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._sock.close()


async def write_resize(ctl: Path, height: int, width: int) -> None:
    """Ask conmon to resize the run's terminal: "1 <rows> <cols>" on its ctl FIFO.

    Raises:
        RuntimeFailure: no ctl FIFO (no monitor) or it never took the line.
    """
    line = f"1 {height} {width}\n".encode()
    for _ in range(CTL_RETRIES):
        try:
            fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError as err:
            raise RuntimeFailure("the container has no terminal monitor to resize") from err
        except OSError as err:
            if err.errno not in (errno.ENXIO, errno.EINTR):
                raise RuntimeFailure(f"cannot resize the container's terminal: {err}") from err
            await asyncio.sleep(CTL_RETRY_DELAY)
            continue
        try:
            os.write(fd, line)
            return
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EINTR):
                raise RuntimeFailure(f"cannot resize the container's terminal: {err}") from err
        finally:
            os.close(fd)
        await asyncio.sleep(CTL_RETRY_DELAY)
    raise RuntimeFailure("the container's monitor did not take the resize")
