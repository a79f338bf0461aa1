"""One layer's traffic to its file-writer helpers: batches out, syncs, failures back.

The unpacker owns the order: it hands a helper only a regular file at a path no entry of
the layer has used, and calls `sync` before anything that could meet a file still in
flight (the same path again, a removal, a hard link, the directory times at the end).
`pending` is what is in flight since the last sync.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from tuibox.engine.layers.writers import helper as wire
from tuibox.engine.layers.writers.pool import Helper, WriterPool

_BATCH = 256 * 1024


class WriterFailed(OSError):
    """A helper stopped or could not be reached."""


class WriterSession:
    """Lifecycle: `add_dir` for each parent directory, `add_file` for each file,
    `sync` when the unpacker needs them on disk, `close` once (it waits for the helpers
    to finish, whatever happened, then gives them back to the pool)."""

    def __init__(self, pool: WriterPool, helpers: list[Helper]) -> None:
        self._pool = pool
        self._helpers = helpers
        self._batches = [bytearray() for _ in helpers]
        self._healthy = True
        self.pending: set[str] = set()

    def add_dir(self, token: int, fd: int) -> None:
        """Send the directory `fd` (the helper gets its own copy) for files of `token`."""
        frame = wire.HEADER.pack(wire.DIR, wire.TOKEN.size) + wire.TOKEN.pack(token)
        with self._link():
            _send_with_fd(self._helpers[token % len(self._helpers)].sock, frame, fd)

    def add_file(self, token: int, path: str, name: str, created_mode: int,
                 owner: tuple[int, int] | None, mode: int, mtime_ns: int,
                 data: bytes) -> None:  # fmt: skip
        index = token % len(self._helpers)
        batch = self._batches[index]
        encoded = name.encode("utf-8", "surrogateescape")
        uid, gid = owner if owner is not None else (wire.KEEP, wire.KEEP)
        batch += wire.RECORD.pack(token, len(encoded), created_mode, uid, gid, mode, mtime_ns,
                                  len(data))  # fmt: skip
        batch += encoded
        batch += data
        self.pending.add(path)
        if len(batch) >= _BATCH:
            with self._link():
                self._send_batch(index)

    def sync(self) -> None:
        """Return once every file handed over is on disk (in the page cache).

        Raises:
            OSError: the first file a helper failed to write (its errno), or WriterFailed.
        """
        if not self.pending:
            return
        self._round(wire.SYNC)
        self.pending.clear()

    def close(self, *, raise_failure: bool) -> None:
        """Wait for the helpers (they forget the layer's directories), then release them."""
        try:
            if self._healthy:
                self._round(wire.END)
        except OSError:
            if raise_failure:
                raise
        finally:
            self.pending.clear()
            self._pool.release(self._helpers, healthy=self._healthy)
            self._helpers = []

    def _round(self, kind: bytes) -> None:
        with self._link():
            for index, helper in enumerate(self._helpers):
                self._send_batch(index)
                helper.sock.sendall(wire.HEADER.pack(kind, 0))
            failures = [_reply(helper.sock) for helper in self._helpers]
        for failure in failures:
            if failure is not None:
                raise failure

    def _send_batch(self, index: int) -> None:
        batch = self._batches[index]
        if batch:
            self._helpers[index].sock.sendall(wire.HEADER.pack(wire.FILES, len(batch)) + batch)
            self._batches[index] = bytearray()

    @contextlib.contextmanager
    def _link(self) -> Iterator[None]:
        """Socket trouble marks the helpers unhealthy (the pool stops them) and raises
        WriterFailed."""
        try:
            yield
        except (OSError, ValueError) as err:
            self._healthy = False
            raise WriterFailed(f"a file writer stopped: {err}") from None


def _send_with_fd(sock: socket.socket, frame: bytes, fd: int) -> None:
    sent = socket.send_fds(sock, [frame], [fd])
    if sent < len(frame):
        sock.sendall(frame[sent:])


def _reply(sock: socket.socket) -> OSError | None:
    """The helper's answer to a sync: None, or the failure it met."""
    header = _exactly(sock, wire.HEADER.size)
    kind, length = wire.HEADER.unpack(header)
    body = _exactly(sock, length)
    if kind == wire.OK:
        return None
    (errno,) = wire.FAILURE.unpack_from(body)
    text = body[wire.FAILURE.size :].decode("utf-8", "replace")
    return OSError(errno, text)


def _exactly(sock: socket.socket, size: int) -> bytes:
    parts, have = [], 0
    while have < size:
        chunk = sock.recv(size - have)
        if not chunk:
            raise ConnectionError("the file writer closed its socket")
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)
