"""One layer's use of the file-writer helpers: when to start, which directory a file goes
into, when to wait for them. The unpacker decides which files may go (see unpack.py)."""

from __future__ import annotations

from tuibox.engine.layers.tarsplit.reader import SMALL_PAYLOAD
from tuibox.engine.layers.writers.pool import WriterPool
from tuibox.engine.layers.writers.session import WriterSession

HAND_OFF_AFTER = 256
"""Small files a layer writes itself before it asks for helpers."""
WRITERS_PER_LAYER = 1
"""Helpers one layer uses (two gained nothing: the parsing thread and the other layers take
the second core; see bench/README.md)."""


class HandOff:
    """Lifecycle: `new_parent` whenever the unpacker opens another parent directory,
    `ready` for each small new file (True: give it to `file`), `sync` before anything that
    could meet a file in flight, `close` once."""

    def __init__(self, pool: WriterPool | None) -> None:
        self._pool = pool
        self._session: WriterSession | None = None
        self._small_files = 0
        self._token = 0
        """The parent's number, as the helpers know it; a new one per parent opened."""
        self._token_sent = False

    def new_parent(self, paths: list[str]) -> None:
        """The unpacker is about to open (or create) the directories `paths`, outermost
        first: a file in flight at one of them is written first."""
        if self._session is not None and not self._session.pending.isdisjoint(paths):
            self._session.sync()
        self._token += 1
        self._token_sent = False

    def ready(self, size: int) -> bool:
        """Whether a small new file of `size` bytes goes to a helper; the first
        HAND_OFF_AFTER are written by the unpacker, so a layer of a few files never starts
        one, and none is started when a helper cannot be."""
        if self._pool is None or size > SMALL_PAYLOAD:
            return False
        self._small_files += 1
        if self._session is None:
            if self._small_files < HAND_OFF_AFTER:
                return False
            helpers = self._pool.acquire(WRITERS_PER_LAYER)
            if not helpers:
                self._pool = None
                return False
            self._session = WriterSession(self._pool, helpers)
        return True

    def file(self, parent_fd: int, path: str, name: str, created_mode: int,
             owner: tuple[int, int] | None, mode: int, mtime_ns: int,
             data: bytes) -> None:  # fmt: skip
        """Hand over the file `name` in the directory `parent_fd` (the current parent)."""
        session = self._session
        assert session is not None, "ready() said no"
        if not self._token_sent:
            session.add_dir(self._token, parent_fd)
            self._token_sent = True
        session.add_file(self._token, path, name, created_mode, owner, mode, mtime_ns, data)

    def sync(self) -> None:
        """Every file handed over is on disk.

        Raises:
            OSError: what a helper met writing one.
        """
        if self._session is not None:
            self._session.sync()

    def close(self, *, failed: bool) -> None:
        """Wait for the helpers, then give them back: nothing writes after this returns."""
        if self._session is not None:
            self._session.close(raise_failure=not failed)
            self._session = None
