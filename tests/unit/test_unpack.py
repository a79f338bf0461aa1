"""Layer unpacking refuses every escape and converts OCI whiteouts to overlay form."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.tar_stream import MAX_HEADER_BYTES, parse_pax_records
from tuibox.engine.layers.unpack import UnpackLimits, entry_parts, unpack_layer

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="whiteouts need root (mknod, trusted.* xattrs)",
)


def _info(name: str, kind: bytes = tarfile.REGTYPE, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 1_700_000_000
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def build_tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def file(name: str, data: bytes = b"x", **fields: object) -> tuple[tarfile.TarInfo, bytes]:
    return _info(name, tarfile.REGTYPE, **fields), data


def directory(name: str) -> tuple[tarfile.TarInfo, None]:
    return _info(name, tarfile.DIRTYPE), None


def symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    return _info(name, tarfile.SYMTYPE, linkname=target), None


def hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    return _info(name, tarfile.LNKTYPE, linkname=target), None


def unpack(tmp_path: Path, data: bytes, **kwargs: object) -> Path:
    blob = tmp_path / "layer.tar"
    blob.write_bytes(data)
    dest = tmp_path / "diff"
    dest.mkdir()
    unpack_layer(blob, dest, **kwargs)  # type: ignore[arg-type]
    return dest


def refused(tmp_path: Path, data: bytes, words: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        unpack(tmp_path, data)
    assert words in str(caught.value)


def test_plain_layer_unpacks_with_modes_links_and_diff_id(tmp_path: Path) -> None:
    data = build_tar([
        directory("./bin"),
        file("./bin/busybox", b"\x7fELF", mode=0o4755),
        symlink("./bin/sh", "busybox"),
        symlink("./bin/abs", "/bin/busybox"),
        hardlink("./bin/ln", "bin/busybox"),
        file("etc/motd", b"hello"),
    ])
    blob = tmp_path / "layer.tar"
    blob.write_bytes(data)
    dest = tmp_path / "diff"
    dest.mkdir()
    result = unpack_layer(blob, dest, expected_diff_id="sha256:" + hashlib.sha256(data).hexdigest())
    assert (dest / "etc/motd").read_bytes() == b"hello"
    assert stat.S_IMODE((dest / "bin/busybox").stat().st_mode) == 0o4755
    assert os.readlink(dest / "bin/sh") == "busybox"
    assert os.readlink(dest / "bin/abs") == "/bin/busybox"
    assert (dest / "bin/ln").stat().st_ino == (dest / "bin/busybox").stat().st_ino
    assert (dest / "bin").stat().st_mtime == 1_700_000_000
    assert result.size == 9
    assert result.entries == 6


def test_gzip_layer_diff_id_is_of_the_uncompressed_stream(tmp_path: Path) -> None:
    data = build_tar([file("a.txt", b"abc")])
    blob = tmp_path / "layer.tar.gz"
    blob.write_bytes(gzip.compress(data))
    dest = tmp_path / "diff"
    dest.mkdir()
    result = unpack_layer(blob, dest)
    assert result.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    assert (dest / "a.txt").read_bytes() == b"abc"


def test_wrong_diff_id_is_refused(tmp_path: Path) -> None:
    data = build_tar([file("a.txt")])
    with pytest.raises(InvalidArgument, match="wrong diff id"):
        unpack(tmp_path, data, expected_diff_id="sha256:" + "0" * 64)


def test_dotdot_entry_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build_tar([file("../etc/x")]), "'..' would leave the layer")
    assert not (tmp_path / "etc").exists()


def test_dotdot_in_the_middle_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build_tar([file("a/../../x")]), "'..'")


def test_absolute_entry_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build_tar([file("/abs")]), "absolute paths are not allowed")


def test_relative_symlink_climbing_above_the_root_is_stored_as_is(tmp_path: Path) -> None:
    dest = unpack(tmp_path, build_tar([symlink("a/up", "../../../etc"), file("b", b"ok")]))
    assert os.readlink(dest / "a/up") == "../../../etc"
    assert (dest / "b").read_bytes() == b"ok"


def test_file_through_an_earlier_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = build_tar([symlink("evil", str(outside)), file("evil/planted", b"pwned")])
    refused(tmp_path, data, "traverses the symlink evil")
    assert not (outside / "planted").exists()


def test_file_through_a_relative_symlink_is_refused(tmp_path: Path) -> None:
    data = build_tar([directory("d"), symlink("link", "d"), file("link/x")])
    refused(tmp_path, data, "traverses the symlink link")


def test_escaping_hardlink_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build_tar([hardlink("passwd", "../../etc/passwd")]), "escapes the layer")


def test_hardlink_through_a_symlink_is_refused(tmp_path: Path) -> None:
    data = build_tar([symlink("etc", "/etc"), hardlink("stolen", "etc/passwd")])
    refused(tmp_path, data, "traverses the symlink etc")


def test_hardlink_to_a_missing_entry_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build_tar([hardlink("x", "nowhere")]), "not an earlier entry")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE])
def test_device_nodes_are_refused(tmp_path: Path, kind: bytes) -> None:
    data = build_tar([(_info("dev/sda", kind, devmajor=8, devminor=0), None)])
    refused(tmp_path, data, "device nodes are not allowed")


def test_fifo_is_allowed(tmp_path: Path) -> None:
    dest = unpack(tmp_path, build_tar([(_info("pipe", tarfile.FIFOTYPE), None)]))
    assert stat.S_ISFIFO((dest / "pipe").lstat().st_mode)


@needs_root
def test_whiteout_becomes_char_device_0_0(tmp_path: Path) -> None:
    dest = unpack(tmp_path, build_tar([directory("etc"), file("etc/.wh.motd", b"")]))
    node = (dest / "etc/motd").lstat()
    assert stat.S_ISCHR(node.st_mode)
    assert os.major(node.st_rdev) == 0 and os.minor(node.st_rdev) == 0
    assert not (dest / "etc/.wh.motd").exists()


@needs_root
def test_opaque_whiteout_marks_the_directory(tmp_path: Path) -> None:
    data = build_tar([directory("var"), file("var/.wh..wh..opq", b""), file("var/new")])
    dest = unpack(tmp_path, data)
    assert os.getxattr(dest / "var", "trusted.overlay.opaque") == b"y"
    assert not (dest / "var/.wh..wh..opq").exists()
    assert (dest / "var/new").exists()


def test_forged_overlay_xattrs_are_dropped(tmp_path: Path) -> None:
    info = _info("d", tarfile.DIRTYPE)
    info.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y"}
    dest = unpack(tmp_path, build_tar([(info, None)]))
    with pytest.raises(OSError):
        os.getxattr(dest / "d", "trusted.overlay.opaque")


def test_total_size_limit_stops_a_bomb(tmp_path: Path) -> None:
    blob = tmp_path / "bomb.gz"
    blob.write_bytes(gzip.compress(build_tar([file("big", b"\0" * 200_000)])))
    dest = tmp_path / "diff"
    dest.mkdir()
    with pytest.raises(InvalidArgument, match="more than 100000 bytes"):
        unpack_layer(blob, dest, limits=UnpackLimits(max_bytes=100_000))


def test_entry_count_limit(tmp_path: Path) -> None:
    blob = tmp_path / "many.tar"
    blob.write_bytes(build_tar([file(f"f{i}") for i in range(10)]))
    dest = tmp_path / "diff"
    dest.mkdir()
    with pytest.raises(InvalidArgument, match="more than 5 entries"):
        unpack_layer(blob, dest, limits=UnpackLimits(max_entries=5))


def test_garbage_is_not_a_tar(tmp_path: Path) -> None:
    refused(tmp_path, gzip.compress(b"not a tar at all" * 100), "not a valid tar stream")


def test_zstd_is_refused_clearly(tmp_path: Path) -> None:
    refused(tmp_path, b"\x28\xb5\x2f\xfd" + b"\0" * 600, "zstd-compressed layers are not supported")


def test_duplicate_entry_last_wins(tmp_path: Path) -> None:
    dest = unpack(tmp_path, build_tar([file("a", b"one"), file("a", b"two")]))
    assert (dest / "a").read_bytes() == b"two"


def test_entry_parts_strips_dot_slash() -> None:
    assert entry_parts("./a//b/./c") == ["a", "b", "c"]
    assert entry_parts("./") == []


def _raw_header(name: bytes, kind: bytes, size: int) -> bytes:
    """One ustar header block with a correct checksum."""
    block = bytearray(512)
    block[0 : len(name)] = name
    block[100:108] = b"0000644\0"
    block[124:136] = b"%011o\0" % size
    block[136:148] = b"%011o\0" % 1_700_000_000
    block[156:157] = kind
    block[257:263] = b"ustar\0"
    block[263:265] = b"00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def _gzip_with_huge_header(kind: bytes, size: int) -> bytes:
    """A gzip tar whose first header announces `size` bytes of extension data."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [packer.compress(_raw_header(b"././@LongLink", kind, size))]
    chunk = (b"1" if kind != tarfile.GNUTYPE_LONGNAME else b"a") * (1024 * 1024)
    for _ in range(size // len(chunk)):
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    return b"".join(parts)


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                                  tarfile.XHDTYPE, tarfile.XGLTYPE])  # fmt: skip
def test_huge_extension_header_is_refused_before_it_is_read(tmp_path: Path, kind: bytes) -> None:
    size = 64 * 1024 * 1024
    blob = tmp_path / "layer.tar.gz"
    blob.write_bytes(_gzip_with_huge_header(kind, size))
    dest = tmp_path / "diff"
    dest.mkdir()
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgument, match="layer entry header too large"):
            unpack_layer(blob, dest)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_quadratic_pax_header_is_refused_quickly(tmp_path: Path) -> None:
    """CVE-2024-6232: a run of digits made Python 3.11.7's PAX regexes take seconds."""
    payload = b"1" * (MAX_HEADER_BYTES - 1024)
    data = _raw_header(b"./PaxHeaders/x", tarfile.XHDTYPE, len(payload)) + payload
    data += b"\0" * (-len(data) % 512) + b"\0" * 1024
    started = time.monotonic()
    refused(tmp_path, data, "malformed pax extended header")
    assert time.monotonic() - started < 1.0


def test_pax_records_parse_and_long_names_still_work(tmp_path: Path) -> None:
    assert parse_pax_records(b"12 path=abc\n13 mtime=1.5\n\0\0") == [
        (b"path", b"abc"), (b"mtime", b"1.5")]
    with pytest.raises(InvalidArgument, match="malformed"):
        parse_pax_records(b"99 path=abc\n")
    long_name = "d/" + "n" * 200 + "/" + "m" * 100
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
            info = _info(long_name, size=2)
            info.pax_headers = {"SCHILY.xattr.user.k": "v"} if fmt == tarfile.PAX_FORMAT else {}
            tar.addfile(info, io.BytesIO(b"hi"))
            tar.addfile(_info("l/" + "s" * 200, tarfile.SYMTYPE, linkname="t" * 300))
        (tmp_path / str(fmt)).mkdir()
        dest = unpack(tmp_path / str(fmt), buffer.getvalue())
        assert (dest / long_name).read_bytes() == b"hi"
        assert os.readlink(dest / ("l/" + "s" * 200)) == "t" * 300


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_sparse_member_is_refused(tmp_path: Path, fmt: int) -> None:
    source = tmp_path / "sparse"
    with source.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
        handle.seek(32 * 1024 * 1024)
        handle.write(b"data")
    if fmt == tarfile.GNU_FORMAT:
        data = _raw_header(b"sparse", tarfile.GNUTYPE_SPARSE, 0) + b"\0" * 1024
    else:
        records = b"".join(_pax_record(k, v) for k, v in (
            (b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"),
            (b"GNU.sparse.name", b"sparse"), (b"GNU.sparse.realsize", b"68719476736")))
        data = _raw_header(b"./PaxHeaders/sparse", tarfile.XHDTYPE, len(records)) + records
        data += b"\0" * (-len(data) % 512)
        data += _raw_header(b"GNUSparseFile.0/sparse", tarfile.REGTYPE, 512) + b"\0" * 512
        data += b"\0" * 1024
    refused(tmp_path, data, "sparse files are not supported")
    assert not (tmp_path / "diff/sparse").exists()


def _pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def test_file_sizes_count_against_the_cap_before_writing(tmp_path: Path) -> None:
    blob = tmp_path / "layer.tar"
    blob.write_bytes(build_tar([file("a", b"x" * 600), file("b", b"y" * 600)]))
    dest = tmp_path / "diff"
    dest.mkdir()
    with pytest.raises(InvalidArgument, match="more than 1000 bytes"):
        unpack_layer(blob, dest, limits=UnpackLimits(max_bytes=1000))
    assert not (dest / "b").exists()


def test_directory_replaced_later_keeps_unpacking(tmp_path: Path) -> None:
    data = build_tar([directory("d"), directory("e"), symlink("d", "e"), file("f")])
    dest = unpack(tmp_path, data)
    assert os.readlink(dest / "d") == "e"
    assert (dest / "e").stat().st_mtime == 1_700_000_000


needs_chown = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true", reason="owners need root (chown)"
)


@needs_chown
def test_owners_and_modes_land_as_the_tar_says_in_setgid_and_plain_directories(
    tmp_path: Path,
) -> None:
    """New files skip the chown and chmod they do not need: a setgid directory hands its
    group down, so a file the tar gives group 0 there is still chowned."""
    shared = _info("shared", tarfile.DIRTYPE, mode=0o2775, uid=0, gid=4321)
    data = build_tar([
        (shared, None),
        file("shared/root-group", mode=0o644, uid=0, gid=0),
        file("shared/its-group", mode=0o640, uid=0, gid=4321),
        file("plain/mine", mode=0o644, uid=0, gid=0),
        file("plain/theirs", mode=0o600, uid=1000, gid=1001),
        file("plain/setuid", mode=0o4755, uid=1000, gid=1000),
        file("plain/sticky", mode=0o1777, uid=0, gid=0),
        file("plain/odd-mode", mode=0o666, uid=0, gid=0),  # the umask (022) would cut it
    ])
    old_umask = os.umask(0o022)
    try:
        dest = unpack(tmp_path, data)
    finally:
        os.umask(old_umask)

    def owner_mode(name: str) -> tuple[int, int, int]:
        found = (dest / name).lstat()
        return found.st_uid, found.st_gid, stat.S_IMODE(found.st_mode)

    assert owner_mode("shared") == (0, 4321, 0o2775)
    assert owner_mode("shared/root-group") == (0, 0, 0o644)
    assert owner_mode("shared/its-group") == (0, 4321, 0o640)
    assert owner_mode("plain/mine") == (0, 0, 0o644)
    assert owner_mode("plain/theirs") == (1000, 1001, 0o600)
    assert owner_mode("plain/setuid") == (1000, 1000, 0o4755)
    assert owner_mode("plain/sticky") == (0, 0, 0o1777)
    assert owner_mode("plain/odd-mode") == (0, 0, 0o666)


def test_small_and_large_payloads_keep_their_bytes(tmp_path: Path) -> None:
    small, edge, large = os.urandom(700), os.urandom(64 * 1024), os.urandom(3 * 1024 * 1024 + 5)
    data = build_tar([file("s", small), file("e", edge), file("l", large), file("z", b"")])
    dest = unpack(tmp_path, data)
    assert (dest / "s").read_bytes() == small
    assert (dest / "e").read_bytes() == edge
    assert (dest / "l").read_bytes() == large
    assert (dest / "z").read_bytes() == b""
