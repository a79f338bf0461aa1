"""The one-pass tar header parser agrees with tarfile, or leaves the block to tarfile."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuibox.engine.layers.tar_stream import BoundedTarInfo
from tuibox.engine.layers.tarsplit.header import parse_plain

ATTRIBUTES = ("name", "mode", "uid", "gid", "size", "mtime", "chksum", "type", "linkname",
              "uname", "gname", "devmajor", "devminor", "offset", "offset_data",
              "pax_headers")  # fmt: skip
OFFSET = 1536


class _Shim:
    encoding, errors = "utf-8", "surrogateescape"

    def __init__(self, block: bytes) -> None:
        self.fileobj = io.BytesIO(b"\0" * OFFSET + block + b"\0" * 4096)
        self.fileobj.seek(OFFSET)
        self.offset = OFFSET
        self.pax_headers: dict[str, str] = {}


def tarfile_reads(block: bytes) -> tarfile.TarInfo | None:
    """What tarfile makes of the block at OFFSET; None where it refuses it."""
    try:
        return BoundedTarInfo.fromtarfile(_Shim(block))  # type: ignore[arg-type]
    except Exception:  # any refusal: tarfile errors, InvalidArgument
        return None


def header_of(info: tarfile.TarInfo, fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    data = out.getvalue()
    return data[:512]


def assert_agrees(block: bytes) -> tarfile.TarInfo | None:
    """parse_plain is None, or equal to tarfile's member in every attribute."""
    ours = parse_plain(block, OFFSET)
    if ours is None:
        return None
    theirs = tarfile_reads(block)
    assert theirs is not None, "parse_plain accepted a header tarfile refuses"
    for attribute in ATTRIBUTES:
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert type(ours) is type(theirs)
    return ours


def member(name: str, kind: bytes = tarfile.REGTYPE, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = 1_700_000_000
    for key, value in fields.items():
        setattr(info, key, value)
    return info


COMMON = [
    member("usr/share/doc/file.txt", size=1234, mode=0o644, uid=0, gid=0, uname="root"),
    member("bin", tarfile.DIRTYPE, mode=0o755),
    member("bin/sh", tarfile.SYMTYPE, linkname="busybox"),
    member("bin/ls", tarfile.LNKTYPE, linkname="bin/busybox"),
    member("run/fifo", tarfile.FIFOTYPE, mode=0o600),
    member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3),
    member("usr/bin/sudo", size=10, mode=0o4755, uid=1000, gid=1000, uname="u", gname="g"),
    member("a/" * 60 + "long-name-with-a-ustar-prefix", size=3),
    member("d" * 90 + "/" + "e" * 40, tarfile.DIRTYPE),
    member("caf\u00e9/\u00fcber.txt", size=1),
    member("etc/.wh..wh..opq"),
]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT], ids=["ustar", "gnu"])
@pytest.mark.parametrize("info", COMMON, ids=lambda info: info.name[:30])
def test_common_headers_parse_as_tarfile_parses_them(info: tarfile.TarInfo, fmt: int) -> None:
    block = header_of(info, fmt)
    if block[156:157] == tarfile.GNUTYPE_LONGNAME:  # GNU writes a long name as its own header
        assert parse_plain(block, OFFSET) is None
        return
    assert assert_agrees(block) is not None, "a plain header should take the fast path"


def test_a_v7_directory_written_as_a_file_with_a_slash_is_a_directory() -> None:
    block = bytearray(header_of(member("olddir", tarfile.AREGTYPE), tarfile.USTAR_FORMAT))
    block[0:7] = b"olddir/"
    block[156:157] = tarfile.AREGTYPE
    ours = assert_agrees(_with_checksum(bytes(block)))
    assert ours is not None and ours.isdir() and ours.name == "olddir"


@pytest.mark.parametrize("info", [
    member("big-uid", uid=2**40, size=1),  # base-256 in GNU form
    member("negative-mtime", mtime=-5),
    member("p" * 120),  # GNU long name header
], ids=["base256-uid", "negative-mtime", "longname"])  # fmt: skip
def test_unusual_forms_are_left_to_tarfile(info: tarfile.TarInfo) -> None:
    assert parse_plain(header_of(info, tarfile.GNU_FORMAT), OFFSET) is None


def test_pax_headers_and_the_end_block_are_left_to_tarfile() -> None:
    pax = header_of(member("x" * 300, size=1), tarfile.PAX_FORMAT)
    assert pax[156:157] == tarfile.XHDTYPE
    assert parse_plain(pax, OFFSET) is None
    assert parse_plain(b"\0" * 512, OFFSET) is None


def test_a_bad_checksum_is_left_to_tarfile() -> None:
    block = bytearray(header_of(COMMON[0], tarfile.USTAR_FORMAT))
    block[10] ^= 1
    assert parse_plain(bytes(block), OFFSET) is None
    assert tarfile_reads(bytes(block)) is None


def _with_checksum(block: bytes) -> bytes:
    data = bytearray(block)
    data[148:156] = b" " * 8
    data[148:156] = b"%06o\0 " % sum(data)
    return bytes(data)


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(COMMON),
    fmt=st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT]),
    edits=st.lists(st.tuples(st.integers(0, 511), st.integers(0, 255)), min_size=1, max_size=6),
    fix_checksum=st.booleans(),
)
def test_mutated_headers_never_parse_differently(
    base: tarfile.TarInfo, fmt: int, edits: list[tuple[int, int]], fix_checksum: bool
) -> None:
    block = bytearray(header_of(base, fmt))
    for position, value in edits:
        block[position] = value
    mutated = _with_checksum(bytes(block)) if fix_checksum else bytes(block)
    assert_agrees(mutated)


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from([(100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (329, 8)]),
    text=st.text(alphabet=" 01234567\0+-_\t8x", min_size=0, max_size=12),
)
def test_number_fields_in_any_spelling_agree(field: tuple[int, int], text: str) -> None:
    start, width = field
    block = bytearray(header_of(COMMON[0], tarfile.USTAR_FORMAT))
    raw = text.encode()[:width].ljust(width, b"\0")
    block[start : start + width] = raw
    assert_agrees(_with_checksum(bytes(block)))
