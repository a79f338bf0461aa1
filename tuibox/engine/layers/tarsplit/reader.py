"""A tar stream read entry by entry, with every byte known as header, payload or padding.

tarfile's own iteration buffers and seeks past payloads, so it cannot say which bytes were
headers; here tarfile parses each header (`BoundedTarInfo.fromtarfile`, with the caps and
strict PAX parsing of tar_stream) and this reader owns the position. A recorder, when
given, sees every byte that is not a regular file's payload, so the stream can be rebuilt
from the recording and the unpacked files (see record.py).
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.tar_stream import READ_CHUNK, BoundedTarInfo
from tuibox.engine.layers.tarsplit.header import parse_plain

BLOCK = tarfile.BLOCKSIZE
NOT_TAR = "not a valid tar stream"
_END_OF_ARCHIVE: type[Exception] = tarfile.EOFHeaderError  # type: ignore[attr-defined]
_EMPTY: type[Exception] = tarfile.EmptyHeaderError  # type: ignore[attr-defined]
_TRUNCATED: type[Exception] = tarfile.TruncatedHeaderError  # type: ignore[attr-defined]
_AHEAD = 64 * 1024
SMALL_PAYLOAD = 64 * 1024
"""Payloads up to this size are read in one piece (`small_payload`)."""
MAX_TRAILING_BYTES = 1024 * 1024
"""Bytes allowed after the end-of-archive blocks (tar pads to its record size, 10 KiB)."""


class Recorder(Protocol):
    """What the reader tells about the stream: raw bytes, and where each payload went."""

    def raw(self, data: bytes) -> None: ...

    def payload(self, path: str, size: int) -> None: ...


class _Shim:
    """The slice of TarFile that TarInfo.fromtarfile uses: fileobj, offset, PAX state."""

    encoding = "utf-8"
    errors = "surrogateescape"

    def __init__(self, reader: TarReader) -> None:
        self.fileobj = reader
        self.offset = 0
        self.pax_headers: dict[str, str] = {}


class TarReader:
    """Sequential entries of an uncompressed tar stream.

    Lifecycle: `next()` until it returns None (the end-of-archive block); for a member
    with a payload (`has_payload`), read it with `payload()` (or `skip_payload()`) before
    the next `next()`; `finish()` reads what follows the end to EOF.
    """

    def __init__(self, source: BinaryIO, recorder: Recorder | None = None) -> None:
        self._source = source
        self._recorder = recorder
        self._position = 0
        self._buffer = b""
        self._offset = 0
        self._shim = _Shim(self)
        self._pending: tarfile.TarInfo | None = None

    # The file-like side tarfile's header parsing reads through.
    def read(self, size: int) -> bytes:
        data = self._take(size)
        if self._recorder is not None and data:
            self._recorder.raw(data)
        return data

    def tell(self) -> int:
        return self._position

    def _take(self, size: int) -> bytes:
        """Exactly `size` bytes (fewer only at EOF), with no recording. Headers and small
        payloads come from a read-ahead buffer (one source read per _AHEAD bytes, not per
        512-byte header); a large read with the buffer empty goes straight to the source."""
        offset, buffer = self._offset, self._buffer
        available = len(buffer) - offset
        if available < size:
            if not available and size >= _AHEAD:
                data = self._read_source(size)
                self._position += len(data)
                return data
            self._fill(size)
            offset, buffer = 0, self._buffer
        data = buffer[offset : offset + size]
        self._offset = offset + len(data)
        self._position += len(data)
        return data

    def _fill(self, size: int) -> None:
        """Read ahead until the buffer holds `size` unread bytes, or the source ends."""
        offset, buffer = self._offset, self._buffer
        parts = [buffer[offset:]] if len(buffer) > offset else []
        have = len(buffer) - offset
        while have < size and (more := self._source.read(max(size - have, _AHEAD))):
            parts.append(more)
            have += len(more)
        self._buffer, self._offset = b"".join(parts), 0

    def _peek_block(self) -> bytes:
        """The next header block, not consumed (shorter only at EOF)."""
        if len(self._buffer) - self._offset < BLOCK:
            self._fill(BLOCK)
        return self._buffer[self._offset : self._offset + BLOCK]

    def _read_source(self, size: int) -> bytes:
        data = self._source.read(size)
        if len(data) < size and data:
            parts = [data]
            have = len(data)
            while have < size and (more := self._source.read(size - have)):
                parts.append(more)
                have += len(more)
            data = b"".join(parts)
        return data

    def next(self) -> tarfile.TarInfo | None:
        """The next member, or None at the end-of-archive marker.

        Raises:
            InvalidArgument: a payload left unread, a truncated or corrupt header.
        """
        if self._pending is not None:
            raise InvalidArgument("internal: a tar payload was left unread")
        if not self._shim.pax_headers:  # no global PAX header to apply: the fast path
            block = self._peek_block()
            if len(block) == BLOCK and (plain := parse_plain(block, self._position)):
                self.read(BLOCK)
                if has_payload(plain):
                    self._pending = plain
                return plain
        self._shim.offset = self._position
        try:
            member = BoundedTarInfo.fromtarfile(self._shim)  # type: ignore[arg-type]
        except _END_OF_ARCHIVE:
            return None
        except _EMPTY:
            if self._position == 0:
                raise InvalidArgument(f"{NOT_TAR}: it is empty") from None
            return None  # no end-of-archive blocks: accepted, as tarfile and Go's reader do
        except _TRUNCATED:
            raise InvalidArgument(f"{NOT_TAR}: truncated inside a header") from None
        except tarfile.HeaderError as err:
            where = self._shim.offset
            raise InvalidArgument(f"{NOT_TAR}: bad header at byte {where} ({err})") from None
        if has_payload(member):
            self._pending = member
        return member

    @property
    def pending(self) -> bool:
        """Whether the last member's payload is still to be read."""
        return self._pending is not None

    def payload(self, path: str) -> Iterator[bytes]:
        """The pending member's payload in chunks; recorded as landing in `path`."""
        member = self._take_pending()
        if self._recorder is not None:
            self._recorder.payload(path, member.size)
        yield from self._payload_chunks(member)

    def small_payload(self, path: str) -> bytes:
        """The pending member's payload in one piece (for sizes up to SMALL_PAYLOAD),
        recorded as landing in `path`."""
        member = self._take_pending()
        if self._recorder is not None:
            self._recorder.payload(path, member.size)
        size = member.size
        padding = -size % BLOCK
        data = self._take(size + padding)
        if len(data) != size + padding:
            raise InvalidArgument(f"{NOT_TAR}: truncated inside {member.name!r}")
        if padding:
            if self._recorder is not None:
                self._recorder.raw(data[size:])
            data = data[:size]
        return data

    def skip_payload(self) -> None:
        """Read the pending member's payload without keeping it (recorded raw)."""
        member = self._take_pending()
        for chunk in self._payload_chunks(member):
            if self._recorder is not None:
                self._recorder.raw(chunk)

    def _take_pending(self) -> tarfile.TarInfo:
        member = self._pending
        if member is None:
            raise InvalidArgument("internal: no tar payload is pending")
        self._pending = None
        return member

    def _payload_chunks(self, member: tarfile.TarInfo) -> Iterator[bytes]:
        left = member.size
        while left:
            chunk = self._take(min(left, READ_CHUNK))
            if not chunk:
                raise InvalidArgument(f"{NOT_TAR}: truncated inside {member.name!r}")
            left -= len(chunk)
            yield chunk
        padding = -member.size % BLOCK
        if padding:
            pad = self._take(padding)
            if len(pad) != padding:
                raise InvalidArgument(f"{NOT_TAR}: truncated after {member.name!r}")
            if self._recorder is not None:
                self._recorder.raw(pad)

    def finish(self) -> None:
        """Read the rest of the stream (the second zero block, record padding): all of it
        counts in the diff ID.

        Raises:
            InvalidArgument: more than MAX_TRAILING_BYTES follow the end of the archive.
        """
        total = 0
        while chunk := self.read(READ_CHUNK):
            total += len(chunk)
            if total > MAX_TRAILING_BYTES:
                raise InvalidArgument(
                    f"refused: more than {MAX_TRAILING_BYTES} bytes follow the end of the tar"
                )


def has_payload(member: tarfile.TarInfo) -> bool:
    """Whether data blocks follow the header, as tarfile decides it."""
    return member.size > 0 and (member.isreg() or member.type not in tarfile.SUPPORTED_TYPES)
