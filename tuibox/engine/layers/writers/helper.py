"""A file-writer process: creates the small new files of a layer the engine hands it.

Creating a file costs ext4 15 to 20 µs of kernel time, which one Python thread cannot
overlap with parsing (the GIL is taken back after every call). The unpacker therefore
sends new regular files in batches to one or two of these processes, over a socketpair,
with each parent directory as an fd (SCM_RIGHTS) it opened itself by the rooted rules;
everything else, and every check, stays in the unpacker (unpack.py, writers/session.py).

Run as `python -I -S helper.py <socket fd>`: the standard library only, so it starts in
a few milliseconds and imports nothing from the engine. It exits when the socket closes.

Frames from the engine: a 5-byte header (kind, payload length) and the payload.
- `D`: token (4 bytes); one fd rides along: the directory for later files of that token.
- `F`: records of RECORD, each followed by the name and the data.
- `S`: sync: answered `K`, or `X` with the errno and text of the first failure since the
  last sync (files after a failure are skipped); `E` also forgets every directory.
"""

from __future__ import annotations

import array
import contextlib
import os
import socket
import struct
import sys
from collections import deque

HEADER = struct.Struct(">cI")
RECORD = struct.Struct(">IHHIIIqI")
"""token, name length, created mode, uid, gid, final mode, mtime in ns, data length."""
TOKEN = struct.Struct(">I")
FAILURE = struct.Struct(">I")
KEEP = 0xFFFFFFFF
"""In uid or gid: no chown ever (an unprivileged engine)."""
DIR, FILES, SYNC, END = b"D", b"F", b"S", b"E"
OK, FAILED = b"K", b"X"
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_RECEIVE = 1 << 20
_MAX_FDS = 64


class _Writer:
    """The helper's state: directories by token, the first failure since the last sync."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.dirs: dict[int, int] = {}
        self.owners: dict[int, tuple[int, int]] = {}
        self.fds: deque[int] = deque()
        self.failure: tuple[int, str] | None = None
        self.buffer = bytearray()

    def serve(self) -> None:
        while self._receive():
            self._handle_frames()
        self._forget_dirs()

    def _receive(self) -> bool:
        fds = array.array("i")
        data, ancillary, _flags, _addr = self.sock.recvmsg(
            _RECEIVE, socket.CMSG_LEN(_MAX_FDS * fds.itemsize))
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        self.fds.extend(fds)
        if not data:
            return False
        self.buffer += data
        return True

    def _handle_frames(self) -> None:
        buffer, offset = self.buffer, 0
        while len(buffer) - offset >= HEADER.size:
            kind, length = HEADER.unpack_from(buffer, offset)
            end = offset + HEADER.size + length
            if len(buffer) < end:
                break
            self._handle(kind, memoryview(buffer)[offset + HEADER.size : end])
            offset = end
        del buffer[:offset]

    def _handle(self, kind: bytes, payload: memoryview) -> None:
        if kind == DIR:
            (token,) = TOKEN.unpack_from(payload)
            self.dirs[token] = self.fds.popleft()
        elif kind == FILES:
            self._files(payload)
        elif kind in (SYNC, END):
            if kind == END:
                self._forget_dirs()
            failure, self.failure = self.failure, None
            if failure is None:
                self.sock.sendall(HEADER.pack(OK, 0))
            else:
                text = failure[1].encode("utf-8", "replace")
                self.sock.sendall(HEADER.pack(FAILED, FAILURE.size + len(text))
                                  + FAILURE.pack(failure[0]) + text)
        payload.release()

    def _files(self, payload: memoryview) -> None:
        """Each record's file; the loop is the helper's whole cost besides the kernel's,
        so names stay bytes and lookups stay local."""
        offset, end = 0, len(payload)
        unpack_record, record_size = RECORD.unpack_from, RECORD.size
        dirs, owners = self.dirs, self.owners
        open_, write, close, utime = os.open, os.write, os.close, os.utime
        while offset < end:
            (token, name_length, created_mode, uid, gid, mode, mtime_ns,
             size) = unpack_record(payload, offset)  # fmt: skip
            offset += record_size
            name = bytes(payload[offset : offset + name_length])
            offset += name_length
            data = payload[offset : offset + size]
            offset += size
            if self.failure is not None:
                continue
            try:
                fd = open_(name, _FLAGS, created_mode, dir_fd=dirs[token])
                try:
                    while data:
                        data = data[write(fd, data) :]
                    chowned = False
                    if uid != KEEP:
                        made = owners.get(token)
                        if made is None:
                            found = os.fstat(fd)
                            made = owners[token] = (found.st_uid, found.st_gid)
                        if (uid, gid) != made:
                            os.fchown(fd, uid, gid)
                            chowned = True
                    if created_mode != mode or chowned:
                        os.fchmod(fd, mode)  # after chown: chown clears setuid
                    utime(fd, ns=(mtime_ns, mtime_ns))
                finally:
                    close(fd)
            except OSError as err:
                text = name.decode("utf-8", "surrogateescape")
                self.failure = (err.errno or 0, f"{text}: {err.strerror or err}")

    def _forget_dirs(self) -> None:
        for fd in self.dirs.values():
            os.close(fd)
        self.dirs.clear()
        self.owners.clear()
        while self.fds:
            os.close(self.fds.popleft())


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    with contextlib.suppress(ConnectionError, KeyboardInterrupt):
        _Writer(sock).serve()


if __name__ == "__main__":
    main()
