"""A pulled layer's tar-split rebuilds its tar byte for byte, whatever the tar holds."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.layers.tarsplit.rebuild import layer_tar_chunks
from tuibox.engine.layers.tarsplit.record import ORPHANS_DIR, SPLIT_FILE
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer

Entry = tuple[str, str, bytes]  # (kind, name, data or link target)


def build(entries: list[Entry], fmt: int = tarfile.PAX_FORMAT, trailer: bytes = b"") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for kind, name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid = 1_700_000_000, 1000, 1000
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif kind == "file":
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, data.decode()
                tar.addfile(info)
    return out.getvalue() + trailer


def round_trip(tmp_path: Path, data: bytes, *, compress: bool = True) -> Path:
    """Unpack with a tar-split, rebuild, and check the bytes come back exactly."""
    blob = tmp_path / "layer.tar.gz"
    blob.write_bytes(gzip.compress(data) if compress else data)
    layer = tmp_path / "layer"
    (layer / "diff").mkdir(parents=True)
    result = unpack_layer(blob, layer / "diff", limits=UnpackLimits(), split_dir=layer)
    assert result.diff_id == "sha256:" + hashlib.sha256(data).hexdigest()
    rebuilt = b"".join(layer_tar_chunks(layer))
    assert rebuilt == data
    return layer


def test_files_dirs_links_and_symlinks_come_back_exactly(tmp_path: Path) -> None:
    entries: list[Entry] = [
        ("dir", "etc", b""),
        ("file", "etc/hostname", b"box\n"),
        ("file", "etc/empty", b""),
        ("file", "etc/block", b"x" * 512),
        ("file", "big.bin", bytes(range(256)) * 9000),
        ("sym", "etc/link", b"hostname"),
        ("link", "etc/hard", b"etc/hostname"),
        ("file", "d\u00e9j\u00e0/na\u00efve.txt", b"unicode names take a pax header"),
        ("file", "long/" + "n" * 150 + "/x.txt", b"a long name"),
    ]
    layer = round_trip(tmp_path, build(entries))
    assert (layer / "diff/etc/hostname").read_bytes() == b"box\n"
    assert (layer / SPLIT_FILE).stat().st_size < 2048  # headers compress well


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT, tarfile.PAX_FORMAT])
def test_every_tar_format_rebuilds(tmp_path: Path, fmt: int) -> None:
    name = "a/b.txt" if fmt == tarfile.USTAR_FORMAT else "deep/" + "d" * 120 + "/file.txt"
    round_trip(tmp_path, build([("file", name, b"content" * 100)], fmt=fmt))


def test_an_uncompressed_layer_and_trailing_zero_records_rebuild(tmp_path: Path) -> None:
    data = build([("file", "x", b"1")], trailer=b"\0" * 20480)
    round_trip(tmp_path, data, compress=False)


def test_a_file_replaced_later_in_the_same_layer_keeps_its_first_bytes(tmp_path: Path) -> None:
    entries: list[Entry] = [
        ("file", "app/conf", b"first version"),
        ("link", "app/conf-link", b"app/conf"),
        ("file", "app/conf", b"second, longer version"),
        ("dir", "tree", b""),
        ("file", "tree/inner", b"under a directory a file replaces"),
        ("file", "tree", b"now a file"),
        ("file", "gone", b"whited out in its own layer"),
        ("file", ".wh.gone", b""),
    ]
    layer = round_trip(tmp_path, build(entries))
    assert (layer / "diff/app/conf").read_bytes() == b"second, longer version"
    assert (layer / "diff/tree").read_bytes() == b"now a file"
    assert len(list((layer / ORPHANS_DIR).iterdir())) == 3


def test_a_whiteout_with_a_payload_keeps_it_in_the_split(tmp_path: Path) -> None:
    layer = round_trip(tmp_path, build([("file", ".wh.old", b"odd but legal bytes")]))
    assert (layer / "diff/old").is_char_device()


def test_a_changed_file_is_reported_not_sent(tmp_path: Path) -> None:
    layer = round_trip(tmp_path, build([("file", "data", b"12345")]))
    (layer / "diff/data").write_bytes(b"1234")
    with pytest.raises(RuntimeFailure, match="changed size"):
        b"".join(layer_tar_chunks(layer))


def test_a_symlink_put_where_a_file_was_is_not_followed(tmp_path: Path) -> None:
    layer = round_trip(tmp_path, build([("file", "data", b"12345")]))
    secret = tmp_path / "secret"
    secret.write_bytes(b"hostx")
    (layer / "diff/data").unlink()
    (layer / "diff/data").symlink_to(secret)
    with pytest.raises(RuntimeFailure, match="damaged"):
        b"".join(layer_tar_chunks(layer))


def test_a_corrupt_split_file_is_a_clear_error(tmp_path: Path) -> None:
    layer = round_trip(tmp_path, build([("file", "data", b"12345")]))
    (layer / SPLIT_FILE).write_bytes(b"not zlib at all")
    with pytest.raises(InvalidArgument, match="corrupt tar-split"):
        b"".join(layer_tar_chunks(layer))


def test_a_tar_without_end_blocks_unpacks_and_rebuilds(tmp_path: Path) -> None:
    data = build([("file", "x", b"1")])
    round_trip(tmp_path, data[:1024], compress=False)  # header and data, no end blocks


def test_a_tar_cut_inside_a_file_is_refused(tmp_path: Path) -> None:
    data = build([("file", "x", b"1" * 2000)])
    blob = tmp_path / "cut.tar"
    blob.write_bytes(data[:1024])
    (tmp_path / "d").mkdir()
    with pytest.raises(InvalidArgument, match="not a valid tar stream: truncated inside 'x'"):
        unpack_layer(blob, tmp_path / "d", split_dir=tmp_path)
