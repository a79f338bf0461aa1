"""Reading docker-archive tars (load_archive): layouts, links, compression and refusals."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.images.load_archive import parse_manifest, spool_archive


def _tar(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A tar of regular files (bytes) and symlinks (str: the link target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _spool(data: bytes, tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "spool"
    root.mkdir(exist_ok=True)
    return spool_archive(io.BytesIO(data), root)


MANIFEST = json.dumps([{"Config": "c.json", "RepoTags": ["a:1"],
                        "Layers": ["one/layer.tar", "two/layer.tar"]}]).encode()  # fmt: skip


def test_a_legacy_layer_linked_to_another_is_read_through_the_link(tmp_path: Path) -> None:
    data = _tar([("one/layer.tar", b"layer bytes"), ("two/layer.tar", "../one/layer.tar"),
                 ("c.json", b"{}"), ("manifest.json", MANIFEST)])  # fmt: skip
    archive = _spool(data, tmp_path)
    (entry,) = parse_manifest(archive)
    assert [t.familiar for t in entry.repo_tags] == ["a:1"]
    assert [archive.path(p).read_bytes() for p in entry.layers] == [b"layer bytes"] * 2


def test_a_gzipped_archive_is_read_and_other_compressions_refused(tmp_path: Path) -> None:
    data = _tar([("c.json", b"{}"), ("manifest.json", MANIFEST)])
    archive = _spool(gzip.compress(data), tmp_path)
    assert archive.read_json("c.json") == {}
    with pytest.raises(InvalidArgument, match="zstd-compressed archives are not supported"):
        _spool(b"\x28\xb5\x2f\xfd" + data, tmp_path)


@pytest.mark.parametrize("entries, problem", [
    ([("../evil", b"x")], "leaves the archive"),
    ([("a/link", "../../etc/passwd")], "links outside the archive"),
    ([("a/link", "/etc/passwd")], "links outside the archive"),
    ([("x.txt", b"x")], "no manifest.json in it"),
    ([("manifest.json", b"{}")], "not a non-empty list"),
    ([("manifest.json", b"[{\"Config\": \"c\", \"Layers\": [], \"RepoTags\": [\"a@sha256:"
                        + b"0" * 64 + b"\"]}]")], "is not name:tag"),
])  # fmt: skip
def test_refusals(tmp_path: Path, entries: list[tuple[str, bytes | str]], problem: str) -> None:
    with pytest.raises(InvalidArgument, match=problem):
        parse_manifest(_spool(_tar(entries), tmp_path))


def test_a_link_loop_and_a_missing_layer_are_named(tmp_path: Path) -> None:
    archive = _spool(_tar([("a", "b"), ("b", "a")]), tmp_path)
    with pytest.raises(InvalidArgument, match="a is a link loop"):
        archive.path("a")
    with pytest.raises(InvalidArgument, match="nope is not in the archive"):
        archive.path("nope")


def test_a_truncated_or_empty_body_is_refused(tmp_path: Path) -> None:
    data = _tar([("big", b"x" * 5000), ("manifest.json", MANIFEST)])
    with pytest.raises(InvalidArgument, match="not a complete tar stream"):
        _spool(data[:2048], tmp_path)
    with pytest.raises(InvalidArgument, match="the request body is empty"):
        _spool(b"", tmp_path)
