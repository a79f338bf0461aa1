"""The content store only ever shows verified blobs; a failed write leaves nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.store.content import ContentStore, DigestMismatch


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def leftovers(store: ContentStore) -> list[Path]:
    return list(store.ingest_dir.iterdir()) + list((store.root / "sha256").iterdir())


def test_put_and_read(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    digest = store.put(b"hello", digest_of(b"hello"))
    assert digest == digest_of(b"hello")
    assert store.has(digest)
    assert store.read(digest) == b"hello"
    assert store.path(digest) == tmp_path / "content/sha256" / digest.removeprefix("sha256:")
    assert store.digests() == [digest]


def test_wrong_digest_leaves_nothing(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    with pytest.raises(DigestMismatch, match="digest mismatch"):
        store.put(b"evil", digest_of(b"good"))
    assert leftovers(store) == []


def test_streamed_writer_commits_only_when_verified(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    data = b"a" * 100_000
    with store.writer(max_size=len(data)) as writer:
        for start in range(0, len(data), 4096):
            writer.write(data[start : start + 4096])
        assert leftovers(store) != []
        assert not store.has(digest_of(data))
        writer.commit(digest_of(data), len(data))
    assert store.read(digest_of(data)) == data


def test_oversized_stream_is_aborted(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    with pytest.raises(DigestMismatch, match="larger than"), store.writer(max_size=3) as writer:
        writer.write(b"abcd")
    assert leftovers(store) == []


def test_wrong_size_is_refused(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    with pytest.raises(DigestMismatch, match="size mismatch"), store.writer() as writer:
        writer.write(b"abc")
        writer.commit(digest_of(b"abc"), 4)
    assert leftovers(store) == []


def test_abandoned_writer_is_discarded(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    with store.writer() as writer:
        writer.write(b"partial")
    assert leftovers(store) == []


def test_stale_ingests_are_removed_at_open(tmp_path: Path) -> None:
    ContentStore(tmp_path / "content")
    (tmp_path / "content/ingest/ingest-crashed").write_bytes(b"half")
    store = ContentStore(tmp_path / "content")
    assert leftovers(store) == []


@pytest.mark.parametrize("bad", ["sha256:../../etc/passwd", "md5:abc", "sha256:ABC", ""])
def test_digests_are_validated_before_touching_paths(tmp_path: Path, bad: str) -> None:
    store = ContentStore(tmp_path / "content")
    with pytest.raises(InvalidArgument):
        store.path(bad)


def test_missing_blob_is_not_found(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    with pytest.raises(NotFound):
        store.read(digest_of(b"nothing"))
    store.delete(digest_of(b"nothing"))


def test_digests_lists_only_well_formed_blob_names(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    digest = store.put(b"blob")
    (tmp_path / "sha256" / "not-a-digest").write_bytes(b"x")
    assert store.digests() == [digest]
