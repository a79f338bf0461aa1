"""Layer blobs to push: the gzip blob kept from a pull, or a gzip made of the layer's tar."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference
from tuibox.engine.registry.manifests import GZIP_LAYER_TYPES
from tuibox.engine.services.images.layer_source import Readable

GZIP_LEVEL = 6
"""Go's gzip.DefaultCompression, what dockerd compresses pushed layers with."""
GZIP_MAGIC = b"\x1f\x8b"
PUSHED_LAYERS = "pushed_layers"
"""Record extra: the layer blob digests last pushed (DiffID order), as dockerd's v2 metadata
remembers which compressed blob stands for a layer, so a later push checks them first."""
_READ_SIZE = 1024 * 1024


@dataclass(frozen=True)
class LayerBlob:
    """A layer as the registry will hold it: its compressed digest, size and file."""

    diff_id: str
    digest: str
    size: int
    path: Path | None
    """The file to upload; None for a blob the registry turned out to have already."""
    temporary: bool
    """The file was made for this push (under the ingest dir) and goes afterwards."""


@dataclass
class KnownBlobs:
    """What the local records know about each DiffID: compressed blobs and the repositories
    (by `domain/path`) whose pulls or pushes hold them, as Docker's v2 metadata does."""

    blobs: dict[str, list[str]]
    repositories: dict[str, set[str]]

    @classmethod
    def of(
        cls, records: list[ImageRecord], refs_of: Callable[[str], list[Reference]]
    ) -> KnownBlobs:
        blobs: dict[str, list[str]] = {}
        repositories: dict[str, set[str]] = {}
        for record in records:
            names = {ref.name for ref in refs_of(record.id) if ref.digest is not None}
            pushed = record.extra.get(PUSHED_LAYERS)
            for digests in (_gzip_pulled(record), pushed if isinstance(pushed, list) else []):
                if len(digests) != len(record.diff_ids):
                    continue
                for diff_id, blob in zip(record.diff_ids, digests, strict=True):
                    if not blob:
                        continue  # pulled in another compression: not a schema2 layer blob
                    blobs.setdefault(diff_id, [])
                    if blob not in blobs[diff_id]:
                        blobs[diff_id].append(blob)
                    repositories.setdefault(blob, set()).update(names)
        return cls(blobs, repositories)

    def sources_for(self, record: ImageRecord, target: Reference) -> list[str]:
        """Every repository a layer of `record` might be mounted from (for the token scope)."""
        found = {source for diff_id in record.diff_ids for blob in self.blobs.get(diff_id, [])
                 for source in self.mount_sources(blob, target)}  # fmt: skip
        return sorted(found)

    def mount_sources(self, digest: str, target: Reference) -> list[str]:
        """Other repositories of the target's registry known to hold `digest` (paths)."""
        prefix = f"{target.domain}/"
        names = sorted(self.repositories.get(digest, ()))
        return [n[len(prefix):] for n in names if n.startswith(prefix) and n != target.name]


def _gzip_pulled(record: ImageRecord) -> list[str]:
    """The record's pulled layer blobs, "" for each that is not gzip (an uncompressed or
    zstd layer: a schema2 manifest can name neither, so such a layer is pushed as a gzip
    made here). Records from before media types were kept: a blob that is not the
    uncompressed tar counts as gzip, the only other compression pulls took then."""
    types = record.layer_media_types
    if len(types) != len(record.layer_digests):
        return [blob if blob != diff_id else "" for blob, diff_id
                in zip(record.layer_digests, record.diff_ids, strict=False)]  # fmt: skip
    return [blob if media_type in GZIP_LAYER_TYPES else "" for blob, media_type
            in zip(record.layer_digests, types, strict=True)]  # fmt: skip


class _Counting:
    """Hashes and counts what passes to the file below (the compressed blob)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


def gzip_layer(source: Readable, diff_id: str, ingest_dir: Path) -> LayerBlob:
    """Compress a layer's tar (a DiffID-checking stream from layer_source) into a temporary
    file under `ingest_dir`. gzip with mtime 0: the same layer gives the same blob every
    time, so a second push finds it already there.

    Raises:
        LayerMismatch: the tar does not hash to `diff_id`; nothing is left behind.
    """
    fd, name = tempfile.mkstemp(prefix="push-", dir=ingest_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            counting = _Counting(file)
            with gzip.GzipFile(fileobj=counting, mode="wb", compresslevel=GZIP_LEVEL,
                               mtime=0) as compressed:  # fmt: skip
                while data := source.read(_READ_SIZE):
                    compressed.write(data)
        return LayerBlob(diff_id, "sha256:" + counting.hash.hexdigest(), counting.size, path,
                         temporary=True)  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def is_gzip(path: Path) -> bool:
    """Whether a kept blob is gzip (what a schema2 layer must be); zstd or plain tar not."""
    with path.open("rb") as blob:
        return blob.read(2) == GZIP_MAGIC
