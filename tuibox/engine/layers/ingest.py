"""A layer unpacked while it downloads: verified, decompressed and extracted in one pass.

The event loop feeds the compressed chunks into a bounded `ChunkFeed`; a worker thread
reads them through a hashing, size-capped reader, decompresses (gzip through ISA-L, zstd,
or none, told apart by magic bytes), extracts with the safe unpacker and records the
tar-split, then checks the blob digest and size and the diff ID. The filesystem is synced
by the caller (a pull syncs once after it, see services/images/durability.py). Nothing is
kept of the compressed blob: push and save rebuild the tar from the tar-split.
The caller discards the staging dir on any failure, so a bad blob leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import hashlib
import os
import queue
import threading
import zlib
from pathlib import Path
from typing import BinaryIO, cast

import zstandard
from isal import igzip
from isal.igzip_lib import IsalError

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.unpack import UnpackLimits, UnpackResult, unpack_stream
from tuibox.engine.layers.writers.pool import WriterPool
from tuibox.engine.store.content import DigestMismatch

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_REFUSED_MAGICS = {b"BZh": "bzip2", b"\xfd7zXZ": "xz"}
_QUEUE_CHUNKS = 256
_END = b""
_CODEC_ERRORS: tuple[type[BaseException], ...] = (
    cast(type[BaseException], IsalError), zlib.error, zstandard.ZstdError, EOFError,
    igzip.BadGzipFile,
)  # fmt: skip


class FeedCancelled(Exception):
    """The feed was aborted (the pull was cancelled or failed elsewhere)."""


class ChunkFeed:
    """Compressed chunks from the event loop to one worker thread, at most
    `_QUEUE_CHUNKS` in flight (the download waits when the unpacking falls behind).

    A full feed's `put` waits on the loop for the worker to take a chunk, never in an
    executor thread: with every executor thread taken by unpacking layers (their workers
    run there), a put waiting for one would never run, and the pull would hang.

    Lifecycle: `await put(chunk)` for each chunk, `await end()` once; `abort()` from the
    loop wakes a worker waiting for data; the worker calls `close()` when it stops
    reading, which makes a waiting put and later puts return at once.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | None] = queue.Queue(_QUEUE_CHUNKS)
        self._aborted = threading.Event()
        self._closed = threading.Event()
        self._left = b""
        self._room: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        """Set while a put waits for room: the worker wakes it through the loop."""

    async def put(self, chunk: bytes) -> None:
        if chunk:
            await self._put(chunk)

    async def end(self) -> None:
        await self._put(_END)

    async def _put(self, item: bytes) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                pass
            room = asyncio.Event()
            self._room = (asyncio.get_running_loop(), room)
            try:  # the worker may have taken one (or closed) before it could see _room
                self._queue.put_nowait(item)
                return
            except queue.Full:
                if not self._closed.is_set():
                    await room.wait()
            finally:
                self._room = None

    def _wake_put(self) -> None:
        waiting = self._room
        if waiting is not None:
            loop, room = waiting
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(room.set)

    def abort(self) -> None:
        self._aborted.set()
        with contextlib.suppress(queue.Full):  # busy, not waiting: it sees the flag next read
            self._queue.put_nowait(None)

    def close(self) -> None:
        self._closed.set()
        self._wake_put()

    def read_chunk(self) -> bytes:
        """The next chunk (b"" at the end), in the worker thread.

        Raises:
            FeedCancelled: abort() was called.
        """
        if self._left:
            chunk, self._left = self._left, b""
            return chunk
        if self._aborted.is_set():
            raise FeedCancelled
        got = self._queue.get()
        self._wake_put()
        if got is None or self._aborted.is_set():
            raise FeedCancelled
        return got

    def unread(self, data: bytes) -> None:
        self._left = data + self._left


class BlobReader:
    """The compressed side, read by the decompressor: hashed, counted, capped at the
    size the manifest declared."""

    def __init__(self, feed: ChunkFeed, declared_size: int) -> None:
        self._feed = feed
        self._declared = declared_size
        self.hash = hashlib.sha256()
        self.size = 0
        self._ended = False

    def read(self, size: int = -1) -> bytes:
        if self._ended:
            return b""
        chunk = self._feed.read_chunk()
        if not chunk:
            self._ended = True
            return b""
        if 0 < size < len(chunk):
            self._feed.unread(chunk[size:])
            chunk = chunk[:size]
        self.size += len(chunk)
        if self.size > self._declared:
            raise DigestMismatch(f"blob is larger than the announced {self._declared} bytes")
        self.hash.update(chunk)
        return chunk

    def readinto(self, buffer: memoryview | bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read():
            pass

    def peek_magic(self) -> bytes:
        """The first bytes of the blob, left to be read again."""
        head = b""
        while len(head) < 6:
            chunk = self.read(6 - len(head))
            if not chunk:
                break
            head += chunk
        self.size -= len(head)
        self.hash = hashlib.sha256()
        self._feed.unread(head)
        return head


def ingest_layer(
    feed: ChunkFeed,
    staging: Path,
    *,
    digest: str,
    size: int,
    diff_id: str,
    limits: UnpackLimits,
    writers: WriterPool | None = None,
) -> UnpackResult:
    """Unpack the blob arriving through `feed` into `staging/diff`, with its tar-split in
    `staging`; runs in a worker thread. Checks, in this order once the stream has ended:
    the blob's size and digest, then the diff ID; a refusal of the stream itself (corrupt,
    unsafe) is reported as the digest mismatch when the blob is not the one named. Nothing
    is synced here. With `writers`, a layer of many small files has them created by
    helper processes (layers/writers/).

    Raises:
        DigestMismatch: the blob is not the one the manifest names.
        InvalidArgument: an unsafe layer, a corrupt stream, a diff ID mismatch, an
            unsupported compression.
        FeedCancelled: the feed was aborted.
    """
    blob = BlobReader(feed, size)
    try:
        try:
            source = _decompressed(blob)
            try:
                result = unpack_stream(source, staging / "diff", expected_diff_id=None,
                                       limits=limits, split_dir=staging,
                                       writers=writers)  # fmt: skip
            except _CODEC_ERRORS as err:
                raise InvalidArgument(f"layer is not a valid compressed stream: {err}") from None
            blob.drain()
        except DigestMismatch:
            raise
        except InvalidArgument:
            # A blob the registry mangled fails as a corrupt stream first: say what it is.
            blob.drain()
            _check_blob(blob, digest, size)
            raise
        _check_blob(blob, digest, size)
        if result.diff_id != diff_id:
            raise InvalidArgument(
                f"wrong diff id: layer unpacks to {result.diff_id}, the image config says "
                f"{diff_id}"
            )
    finally:
        feed.close()
    return result


def _check_blob(blob: BlobReader, digest: str, size: int) -> None:
    """Raises DigestMismatch unless the whole blob arrived as the manifest names it."""
    actual = "sha256:" + blob.hash.hexdigest()
    if blob.size != size or actual != digest:
        raise DigestMismatch(
            f"blob {digest} does not match what arrived ({actual}, {blob.size} bytes "
            f"for {size} announced)"
        )


def _decompressed(blob: BlobReader) -> BinaryIO:
    head = blob.peek_magic()
    if head.startswith(_GZIP_MAGIC):
        return igzip.IGzipFile(fileobj=blob, mode="rb")  # type: ignore[no-untyped-call,return-value]
    if head.startswith(_ZSTD_MAGIC):
        reader = zstandard.ZstdDecompressor().stream_reader(
            blob,  # type: ignore[arg-type]
            read_across_frames=True,
        )
        return reader
    for magic, kind in _REFUSED_MAGICS.items():
        if head.startswith(magic):
            raise InvalidArgument(f"{kind}-compressed layers are not supported (only gzip, "
                                  "zstd and uncompressed tars)")  # fmt: skip
    return blob  # type: ignore[return-value]


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def sync_filesystem(path: Path) -> None:
    """syncfs() on the filesystem holding `path`.

    Raises:
        OSError: the sync failed (an I/O error).
    """
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if _libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)
