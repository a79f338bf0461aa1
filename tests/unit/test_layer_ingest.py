"""A layer unpacked while its blob streams in: gzip, zstd and plain tars; every check."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest
import zstandard

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.ingest import ChunkFeed, FeedCancelled, ingest_layer
from tuibox.engine.layers.tarsplit.rebuild import layer_tar_chunks
from tuibox.engine.layers.unpack import UnpackLimits, UnpackResult
from tuibox.engine.store.content import DigestMismatch


def layer_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for index in range(50):
            data = f"file {index}\n".encode() * (index + 1) * 40
            info = tarfile.TarInfo(f"dir{index % 5}/f{index}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def start(tmp_path: Path, blob: bytes, plain: bytes, *, digest: str | None = None,
          size: int | None = None, diff_id: str | None = None,
          ) -> tuple[Path, ChunkFeed, asyncio.Future[UnpackResult]]:  # fmt: skip
    """A worker thread ingesting into tmp_path/staging, fed by the returned feed."""
    staging = tmp_path / "staging"
    (staging / "diff").mkdir(parents=True)
    feed = ChunkFeed()
    worker = asyncio.ensure_future(asyncio.to_thread(
        ingest_layer, feed, staging, digest=digest or sha(blob),
        size=len(blob) if size is None else size, diff_id=diff_id or sha(plain),
        limits=UnpackLimits()))  # fmt: skip
    return staging, feed, worker


async def ingest(tmp_path: Path, blob: bytes, plain: bytes, *, digest: str | None = None,
                 size: int | None = None, chunk: int = 1000) -> Path:  # fmt: skip
    staging, feed, worker = start(tmp_path, blob, plain, digest=digest, size=size)
    for offset in range(0, len(blob), chunk):
        await feed.put(blob[offset : offset + chunk])
    await feed.end()
    await worker
    return staging


@pytest.mark.parametrize("kind", ["gzip", "zstd", "plain"])
async def test_each_compression_unpacks_and_rebuilds(tmp_path: Path, kind: str) -> None:
    plain = layer_tar()
    blob = {"gzip": gzip.compress(plain), "plain": plain,
            "zstd": zstandard.ZstdCompressor().compress(plain)}[kind]  # fmt: skip
    staging = await ingest(tmp_path, blob, plain)
    assert (staging / "diff/dir3/f3").read_bytes() == b"file 3\n" * 160
    assert b"".join(layer_tar_chunks(staging)) == plain


async def test_a_wrong_digest_is_refused_after_the_stream(tmp_path: Path) -> None:
    plain = layer_tar()
    with pytest.raises(DigestMismatch, match="does not match what arrived"):
        await ingest(tmp_path, gzip.compress(plain), plain, digest=sha(b"other"))


async def test_more_bytes_than_announced_are_refused(tmp_path: Path) -> None:
    plain = layer_tar()
    blob = gzip.compress(plain)
    with pytest.raises(DigestMismatch, match="larger than the announced"):
        await ingest(tmp_path, blob, plain, size=len(blob) - 10)


async def test_a_wrong_diff_id_is_refused(tmp_path: Path) -> None:
    plain = layer_tar()
    blob = gzip.compress(plain)
    _, feed, worker = start(tmp_path, blob, plain, diff_id=sha(b"x"))
    await feed.put(blob)
    await feed.end()
    with pytest.raises(InvalidArgument, match="wrong diff id"):
        await worker


async def test_corrupt_gzip_and_bzip2_are_clear_errors(tmp_path: Path) -> None:
    plain = layer_tar()
    corrupt = bytearray(gzip.compress(plain))
    corrupt[40:60] = b"\xff" * 20
    with pytest.raises(InvalidArgument, match="not a valid"):
        await ingest(tmp_path / "a", bytes(corrupt), plain)
    with pytest.raises(InvalidArgument, match="bzip2-compressed layers are not supported"):
        await ingest(tmp_path / "b", b"BZh91AY&SY" + b"\0" * 100, plain)


async def test_an_aborted_feed_stops_the_worker(tmp_path: Path) -> None:
    plain = layer_tar()
    blob = gzip.compress(plain)
    _, feed, worker = start(tmp_path, blob, plain)
    await feed.put(blob[:100])
    feed.abort()
    with pytest.raises(FeedCancelled):
        await worker
    await asyncio.wait_for(feed.put(blob[100:]), 5)  # once the worker stopped, puts return
