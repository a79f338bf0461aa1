"""docker save: images as one docker-archive tar, in the OCI-layout form Docker 25 writes.

The tar holds `blobs/sha256/<hex>` for each layer (uncompressed, its sha256 the DiffID),
config and OCI manifest, then `index.json`, `manifest.json` (Config, RepoTags, Layers:
what every docker CLI's load reads), `oci-layout` and the legacy `repositories` map. Names
are taken as dockerd's tarexport takes them: an ID or a digest reference saves the image
untagged, `repo:tag` that tag, a bare repository every tag it has. Entry sizes go in the
tar headers before the bytes, so each layer is read once to measure and check it before
the answer starts (sizes are remembered by DiffID), then again while it streams; an image
whose layer cannot be reproduced is refused before a byte is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import BinaryIO

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.services.containers.tar_pipe import thread_chunks
from tuibox.engine.services.images.layer_source import (
    LayerMismatch,
    Stores,
    find_layer_blob,
    layer_tar_source,
)
from tuibox.engine.services.images.retention import Retention

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
IMAGE_NAME_ANNOTATION = "io.containerd.image.name"
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
BLOBS = "blobs/sha256/"
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SavedImage:
    """One image of the archive and the tags it is saved under."""

    record: ImageRecord
    tags: tuple[Reference, ...]


def blob_name(digest: str) -> str:
    return BLOBS + digest.removeprefix("sha256:")


def oci_manifest(record: ImageRecord, config_size: int, layer_sizes: dict[str, int]) -> bytes:
    """The OCI manifest of a saved image: its config and uncompressed layers."""
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": record.id, "size": config_size},
        "layers": [{"mediaType": OCI_LAYER, "digest": d, "size": layer_sizes[d]}
                   for d in record.diff_ids],
    }  # fmt: skip
    return json.dumps(document, separators=(",", ":")).encode()


class ImageSaver:
    """Plans on the loop thread, measures and writes in worker threads, leases meanwhile."""

    def __init__(
        self, stores: Stores, store_lock: asyncio.Lock, retention: Retention,
        resolve: Callable[[str], ImageRecord],
    ) -> None:  # fmt: skip
        self.stores = stores
        self.store_lock = store_lock
        self.retention = retention
        self.resolve = resolve
        self._sizes: dict[str, int] = {}

    def plan(self, names: list[str]) -> list[SavedImage]:
        """The images `names` ask for, in order, each once, with their tags.

        Raises:
            InvalidArgument: no name, or one that is neither an ID nor a reference.
            NotFound: dockerd's "No such image: busybox:latest".
        """
        if not names:
            raise InvalidArgument("no image names given: pass at least one names parameter")
        saved: dict[str, list[Reference]] = {}
        for name in names:
            for record, tags in self._targets(name):
                known = saved.setdefault(record.id, [])
                known.extend(t for t in tags if t not in known)
        _, _, images = self.stores
        return [SavedImage(_present(images.get(i), i), tuple(t)) for i, t in saved.items()]

    def _targets(self, name: str) -> list[tuple[ImageRecord, list[Reference]]]:
        _, _, images = self.stores
        try:
            bare = parse_reference(name, default_tag=False)
        except InvalidArgument:
            bare = None
        if bare is not None and bare.tag is None and bare.digest is None:
            by_repo: dict[str, list[Reference]] = {}
            for record in images.all():
                refs = [r for r in images.refs_of(record.id) if r.name == bare.name]
                tags = [r for r in refs if r.digest is None]
                if tags:
                    by_repo[record.id] = tags
            if by_repo:
                return [(_present(images.get(i), i), tags) for i, tags in by_repo.items()]
        record = self.resolve(name)
        if bare is not None and bare.tag is not None and bare.digest is None:
            return [(record, [bare])]
        return [(record, [])]

    async def save(self, names: list[str]) -> AsyncIterator[bytes]:
        """The archive, chunk by chunk; every check that can fail is done before the first.

        Raises:
            NotFound, InvalidArgument: before the first chunk (no such image, a layer gone,
                a layer that does not reproduce its DiffID).
            OSError: the stream broke off (it ends short).
        """
        plan = self.plan(names)
        async with self.store_lock:
            held = self.retention.lease(self._needed(plan))
        try:
            await asyncio.to_thread(self._measure, plan)
            async for chunk in thread_chunks(lambda pipe: self._write(pipe, plan), "save"):
                yield chunk
        finally:
            async with self.store_lock:
                self.retention.release(held)

    def _needed(self, plan: list[SavedImage]) -> list[str]:
        needed: list[str] = []
        for item in plan:
            record = item.record
            needed += [record.id, *record.chain_ids]
            for diff_id in record.diff_ids:
                blob = find_layer_blob(self.stores, diff_id, record)
                needed += [blob] if blob else []
        return needed

    def _measure(self, plan: list[SavedImage]) -> None:
        """Read each layer not measured yet to its end: its size, and its DiffID checked."""
        content, _, _ = self.stores
        for item in plan:
            if not content.has(item.record.id):
                raise NotFound(f"the config blob of image {item.record.id} is missing")
            for index, diff_id in enumerate(item.record.diff_ids):
                if diff_id in self._sizes:
                    continue
                with layer_tar_source(self.stores, item.record, index) as layer:
                    while layer.read(_COPY_CHUNK):
                        pass
                    self._sizes[diff_id] = layer.size

    def _write(self, pipe: BinaryIO, plan: list[SavedImage]) -> None:
        content, _, _ = self.stores
        with tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add_dir(tar, "blobs/")
            _add_dir(tar, BLOBS)
            written: set[str] = set()
            for item in plan:
                for index, diff_id in enumerate(item.record.diff_ids):
                    if diff_id not in written:
                        self._add_layer(tar, item.record, index)
                        written.add(diff_id)
            manifests = []
            for item in plan:
                config = content.read(item.record.id, max_size=64 * 1024 * 1024)
                manifest = oci_manifest(item.record, len(config), self._sizes)
                manifest_digest = content_digest(manifest)
                for data, digest in ((config, item.record.id), (manifest, manifest_digest)):
                    if digest not in written:
                        _add_file(tar, blob_name(digest), data)
                        written.add(digest)
                manifests.append((item, manifest_digest, len(manifest)))
            _add_file(tar, "index.json", _index(manifests))
            _add_file(tar, "manifest.json", _docker_manifest(plan))
            _add_file(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            _add_file(tar, "repositories", _repositories(plan))

    def _add_layer(self, tar: tarfile.TarFile, record: ImageRecord, index: int) -> None:
        diff_id = record.diff_ids[index]
        info = _info(blob_name(diff_id), self._sizes[diff_id])
        with layer_tar_source(self.stores, record, index) as layer:
            tar.addfile(info, layer)
            if layer.read(1):  # also ends the stream, which checks the DiffID
                raise LayerMismatch(f"layer {diff_id} grew while it was being saved")


def content_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _present(record: ImageRecord | None, image_id: str) -> ImageRecord:
    if record is None:
        raise NotFound(f"No such image: {image_id}")
    return record


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o444, 0
    return info


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


def _index(manifests: list[tuple[SavedImage, str, int]]) -> bytes:
    entries = []
    for item, digest, size in manifests:
        descriptor = {"mediaType": OCI_MANIFEST, "digest": digest, "size": size}
        if not item.tags:
            entries.append(descriptor)
        for tag in item.tags:
            annotations = {IMAGE_NAME_ANNOTATION: str(tag), REF_NAME_ANNOTATION: tag.tag or ""}
            entries.append({**descriptor, "annotations": annotations})
    document = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    return json.dumps(document, separators=(",", ":")).encode()


def _docker_manifest(plan: list[SavedImage]) -> bytes:
    entries = [{
        "Config": blob_name(item.record.id),
        "RepoTags": [t.familiar for t in item.tags] or None,
        "Layers": [blob_name(d) for d in item.record.diff_ids],
    } for item in plan]  # fmt: skip
    return json.dumps(entries, separators=(",", ":")).encode()


def _repositories(plan: list[SavedImage]) -> bytes:
    """The pre-1.10 map repository -> tag -> top layer, which old loaders read for tags."""
    repositories: dict[str, dict[str, str]] = {}
    for item in plan:
        if not item.record.diff_ids:
            continue
        top = item.record.diff_ids[-1].removeprefix("sha256:")
        for tag in item.tags:
            repositories.setdefault(tag.familiar_name, {})[tag.tag or "latest"] = top
    return json.dumps(repositories, separators=(",", ":")).encode()
