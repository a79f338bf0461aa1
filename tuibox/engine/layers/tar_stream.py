"""The layer's tar stream: decompression, hashing with a byte cap, and bounded headers.

In stream mode tarfile reads a GNU long-name/long-link or PAX header completely into
memory before handing out the member, and Python 3.11.7's PAX parser is quadratic on
crafted input (CVE-2024-6232). `BoundedTarInfo` caps those headers and parses PAX records
itself in linear time; GNU sparse members (old and PAX forms) are refused outright, since
their holes would bypass the unpacker's byte counting.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import tarfile
from typing import Any, BinaryIO

from tuibox.engine.domain.errors import InvalidArgument

MAX_HEADER_BYTES = 64 * 1024
READ_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_MAGICS = {b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}
_LONG_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_LENGTH_RE = re.compile(rb"([0-9]{1,9}) ", re.ASCII)
_SPARSE_MESSAGE = "layer entry refused: sparse files are not supported"


def open_decompressed(raw: BinaryIO) -> BinaryIO:
    """The uncompressed view of a layer file: gzip is undone, other compressions refused."""
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    for magic, kind in _OTHER_MAGICS.items():
        if head.startswith(magic):
            raise InvalidArgument(f"{kind}-compressed layers are not supported yet")
    return raw


class HashingReader:
    """Reads the uncompressed stream, hashing and counting it, refusing past a byte cap."""

    def __init__(self, source: BinaryIO, max_bytes: int) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self.hash = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size if size and size > 0 else READ_CHUNK)
        self.count += len(data)
        if self.count > self._max_bytes:
            raise InvalidArgument(f"layer refused: it unpacks to more than {self._max_bytes} bytes")
        self.hash.update(data)
        return data

    def drain(self) -> None:
        while self.read(READ_CHUNK):
            pass


class BoundedTarInfo(tarfile.TarInfo):
    """Pass as `tarinfo=` to tarfile.open; every limit violation raises InvalidArgument."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> Any:
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise InvalidArgument(f"{_SPARSE_MESSAGE} ({self.name!r})")
        if self.type in _LONG_TYPES or self.type in _PAX_TYPES:
            _check_size(self.size)
        return super()._proc_member(tarfile_)  # type: ignore[misc]

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> Any:
        """tarfile's PAX step with a linear, strict record parser (no regex backtracking)."""
        _check_size(self.size)
        fileobj: Any = tarfile_.fileobj
        buf = fileobj.read(self._block(self.size))  # type: ignore[attr-defined]
        records = parse_pax_records(buf[: self.size])
        shared: dict[str, str] = tarfile_.pax_headers  # type: ignore[assignment]
        pax_headers = shared if self.type == tarfile.XGLTYPE else dict(shared)
        self._store_pax(tarfile_, records, pax_headers)
        if self.type == tarfile.XGLTYPE:
            _check_size(sum(len(k) + len(v) for k, v in pax_headers.items()))
        try:
            next_member = self.fromtarfile(tarfile_)
        except tarfile.HeaderError as err:
            raise tarfile.ReadError(str(err)) from None
        if self.type in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
            self._patch_member(tarfile_, next_member, pax_headers)
        return next_member

    def _store_pax(
        self, tarfile_: tarfile.TarFile, records: list[tuple[bytes, bytes]],
        pax_headers: dict[str, str],
    ) -> None:  # fmt: skip
        charset = next((v for k, v in records if k == b"hdrcharset"), None)
        if charset is not None:
            pax_headers["hdrcharset"] = charset.decode("utf-8", "surrogateescape")
        binary = pax_headers.get("hdrcharset") == "BINARY"
        encoding = tarfile_.encoding if binary else "utf-8"
        decode: Any = self._decode_pax_field  # type: ignore[attr-defined]
        for raw_key, raw_value in records:
            keyword = decode(raw_key, "utf-8", "utf-8", tarfile_.errors)
            if keyword.startswith("GNU.sparse."):
                raise InvalidArgument(_SPARSE_MESSAGE)
            if keyword in tarfile.PAX_NAME_FIELDS:
                value = decode(raw_value, encoding, tarfile_.encoding, tarfile_.errors)
            else:
                value = decode(raw_value, "utf-8", "utf-8", tarfile_.errors)
            pax_headers[keyword] = value

    def _patch_member(
        self, tarfile_: tarfile.TarFile, member: tarfile.TarInfo, pax_headers: dict[str, str]
    ) -> None:
        """As tarfile does: apply the PAX fields, and move the stream offset if size changed."""
        patch: Any = member
        patch._apply_pax_info(pax_headers, tarfile_.encoding, tarfile_.errors)
        member.offset = self.offset
        if "size" in pax_headers:
            offset = member.offset_data
            if member.isreg() or member.type not in tarfile.SUPPORTED_TYPES:
                offset += patch._block(member.size)
            tarfile_.offset = offset

    def _proc_gnusparse_00(self, *args: object) -> None:
        raise InvalidArgument(_SPARSE_MESSAGE)

    _proc_gnusparse_01 = _proc_gnusparse_00
    _proc_gnusparse_10 = _proc_gnusparse_00


def open_tar_stream(reader: HashingReader) -> tarfile.TarFile:
    """tarfile in stream mode over `reader`, with the bounded header checks."""
    return tarfile.open(fileobj=reader, mode="r|", tarinfo=BoundedTarInfo)  # type: ignore[call-overload,no-any-return]


def parse_pax_records(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split PAX extended header data into (keyword, value) pairs, in one pass.

    Each record is "<length> <keyword>=<value>\\n", the length counting the whole record.

    Raises:
        InvalidArgument: a record that is malformed or runs past the header.
    """
    records: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos < len(data) and data[pos] != 0:
        match = _LENGTH_RE.match(data, pos, min(len(data), pos + 10))
        length = int(match.group(1)) if match else 0
        end = pos + length
        if match is None or end > len(data) or end <= match.end() or data[end - 1] != 0x0A:
            raise InvalidArgument("layer entry refused: malformed pax extended header")
        keyword, sep, value = data[match.end() : end - 1].partition(b"=")
        if not sep or not keyword:
            raise InvalidArgument("layer entry refused: malformed pax extended header")
        records.append((keyword, value))
        pos = end
    return records


def _check_size(size: int) -> None:
    if size > MAX_HEADER_BYTES:
        raise InvalidArgument(
            f"layer entry header too large: {size} bytes (the limit is {MAX_HEADER_BYTES})"
        )
