"""Writing and reading a layer's tar-split file: the tar stream minus its file payloads.

The file (`tar-split.z`, beside the layer's `diff/`) is a zlib stream of records: `R`,
a 4-byte length and raw bytes (headers, padding, the end blocks); `F`, a 4-byte length,
the payload's path in the layer (UTF-8, surrogate escapes) and an 8-byte size. A file that
a later entry of the same layer replaces would lose the bytes its `F` names: its inode is
moved to `orphans/` beside `diff/` first, and `tar-split.moves` (same record format, `M`:
path, which occurrence of it, orphan name) says where to read it. Headers compress to well
under 100 bytes an entry, so the file is a small fraction of the layer.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

from tuibox.engine.domain.errors import InvalidArgument

SPLIT_FILE = "tar-split.z"
MOVES_FILE = "tar-split.moves"
ORPHANS_DIR = "orphans"
_RAW, _FILE, _MOVE = b"R", b"F", b"M"
_FLUSH_AT = 256 * 1024
_LEVEL = 1
_READ = 256 * 1024


@dataclass(frozen=True)
class Payload:
    """A payload record: `size` bytes read from `path` (relative to the layer's diff/,
    or `../orphans/<name>` for a replaced file)."""

    path: str
    size: int


class SplitWriter:
    """Records a tar stream's non-payload bytes and payload references, in order.

    Lifecycle: make it over the layer's staging dir, hand it to the TarReader as its
    recorder; before an entry replaces or removes a file recorded earlier, move that file
    to `orphan_path(...)` and call `moved`; `close` once the stream was read to its end.
    On failure the staging dir is discarded with the file in it (`abandon` closes it).
    """

    def __init__(self, layer_dir: Path) -> None:
        self._layer_dir = layer_dir
        self._out: BinaryIO = (layer_dir / SPLIT_FILE).open("wb")
        # ISA-L writes the zlib format about 4 times faster than zlib at level 1, and a
        # little smaller; any zlib reader reads it (the reader below uses zlib).
        self._zlib = isal_zlib.compressobj(_LEVEL)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._raw: list[bytes] = []
        self._raw_size = 0
        self._occurrences: dict[str, int] = {}
        """Payload path -> how many payload records named it so far."""
        self._moves: list[bytes] = []

    def raw(self, data: bytes) -> None:
        self._raw.append(data)
        self._raw_size += len(data)
        if self._raw_size >= _FLUSH_AT:
            self._flush_raw()

    def payload(self, path: str, size: int) -> None:
        self._flush_raw()
        name = _encode(path)
        self._emit(_FILE + struct.pack(">I", len(name)) + name + struct.pack(">Q", size))
        self._occurrences[path] = self._occurrences.get(path, 0) + 1

    def recorded_under(self, path: str) -> list[str]:
        """Recorded payload paths still on disk at `path` or below it ("" is the root)."""
        if not path:
            return list(self._occurrences)
        prefix = path + "/"
        return [p for p in self._occurrences if p == path or p.startswith(prefix)]

    def orphan_path(self) -> Path:
        """A fresh path under orphans/ for a file about to be replaced."""
        orphans = self._layer_dir / ORPHANS_DIR
        orphans.mkdir(mode=0o700, exist_ok=True)
        return orphans / f"{len(self._moves):08d}"

    def moved(self, path: str, orphan: Path) -> None:
        """The file last recorded at `path` now lives at `orphan` (from orphan_path)."""
        occurrence = self._occurrences.pop(path) - 1
        old, new = _encode(path), _encode(f"../{ORPHANS_DIR}/{orphan.name}")
        self._moves.append(_MOVE + struct.pack(">III", len(old), occurrence, len(new))
                           + old + new)  # fmt: skip

    def close(self) -> None:
        """Write the rest and fsync both files."""
        self._flush_raw()
        self._out.write(self._zlib.compress(b"".join(self._pending)) + self._zlib.flush())
        self._pending = []
        _sync_close(self._out)
        if self._moves:
            with (self._layer_dir / MOVES_FILE).open("wb") as moves:
                moves.write(zlib.compress(b"".join(self._moves)))
                _sync_close(moves)

    def abandon(self) -> None:
        if not self._out.closed:
            self._out.close()

    def _flush_raw(self) -> None:
        if not self._raw:
            return
        data = b"".join(self._raw)
        self._raw, self._raw_size = [], 0
        self._emit(_RAW + struct.pack(">I", len(data)) + data)

    def _emit(self, record: bytes) -> None:
        self._pending.append(record)
        self._pending_size += len(record)
        if self._pending_size >= _FLUSH_AT:
            self._out.write(self._zlib.compress(b"".join(self._pending)))
            self._pending, self._pending_size = [], 0


def has_split(layer_dir: Path) -> bool:
    return (layer_dir / SPLIT_FILE).is_file()


def read_records(layer_dir: Path) -> Iterator[bytes | Payload]:
    """The records of a layer's tar-split file in order, moves applied: raw bytes or a
    Payload. Streams: memory stays bounded whatever the layer's size.

    Raises:
        FileNotFoundError: the layer has no tar-split file.
        InvalidArgument: the file is corrupt.
    """
    moves = _read_moves(layer_dir)
    seen: dict[str, int] = {}
    with (layer_dir / SPLIT_FILE).open("rb") as source:
        stream = _Inflated(source, layer_dir)
        while kind := stream.take(1, allow_eof=True):
            if kind == _RAW:
                (length,) = struct.unpack(">I", stream.take(4))
                yield stream.take(length)
            elif kind == _FILE:
                (length,) = struct.unpack(">I", stream.take(4))
                path = _decode(stream.take(length), layer_dir)
                (size,) = struct.unpack(">Q", stream.take(8))
                occurrence = seen.get(path, 0)
                seen[path] = occurrence + 1
                yield Payload(moves.get((path, occurrence), path), size)
            else:
                raise InvalidArgument(f"corrupt tar-split file in {layer_dir}: record {kind!r}")


def _read_moves(layer_dir: Path) -> dict[tuple[str, int], str]:
    try:
        data = zlib.decompress((layer_dir / MOVES_FILE).read_bytes())
    except FileNotFoundError:
        return {}
    except zlib.error as err:
        raise InvalidArgument(f"corrupt tar-split moves in {layer_dir}: {err}") from None
    moves: dict[tuple[str, int], str] = {}
    pos = 0
    try:
        while pos < len(data):
            if data[pos : pos + 1] != _MOVE:
                raise ValueError("not a move record")
            old_len, occurrence, new_len = struct.unpack_from(">III", data, pos + 1)
            start = pos + 13
            old = _decode(data[start : start + old_len], layer_dir)
            moves[(old, occurrence)] = _decode(data[start + old_len : start + old_len + new_len],
                                               layer_dir)  # fmt: skip
            pos = start + old_len + new_len
    except (struct.error, ValueError) as err:
        raise InvalidArgument(f"corrupt tar-split moves in {layer_dir}: {err}") from None
    return moves


class _Inflated:
    """Exact-size reads from a zlib stream."""

    def __init__(self, source: BinaryIO, layer_dir: Path) -> None:
        self._source = source
        self._layer_dir = layer_dir
        self._zlib = zlib.decompressobj()
        self._buffer = b""
        self._offset = 0
        self._ended = False

    def take(self, size: int, *, allow_eof: bool = False) -> bytes:
        if len(self._buffer) - self._offset < size and not self._ended:
            self._fill(size)
        end = self._offset + size
        if end > len(self._buffer):
            if allow_eof and self._offset == len(self._buffer):
                return b""
            raise InvalidArgument(f"tar-split file in {self._layer_dir} ends inside a record")
        data = self._buffer[self._offset : end]
        self._offset = end
        return data

    def _fill(self, size: int) -> None:
        parts = [self._buffer[self._offset :]]
        have = len(parts[0])
        while have < size:
            compressed = self._source.read(_READ)
            try:
                more = self._zlib.decompress(compressed) if compressed else self._zlib.flush()
            except zlib.error as err:
                raise InvalidArgument(
                    f"corrupt tar-split file in {self._layer_dir}: {err}"
                ) from None
            parts.append(more)
            have += len(more)
            if not compressed:
                self._ended = True
                break
        self._buffer, self._offset = b"".join(parts), 0


def _encode(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _decode(data: bytes, layer_dir: Path) -> str:
    try:
        return data.decode("utf-8", "surrogateescape")
    except UnicodeDecodeError as err:  # pragma: no cover - surrogateescape decodes anything
        raise InvalidArgument(f"corrupt tar-split file in {layer_dir}: {err}") from None


def _sync_close(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
