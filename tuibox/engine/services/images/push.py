"""Push: a local image's layers, config and a Docker schema2 manifest to its registry."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference, validate_tag
from tuibox.engine.registry.auth import Credentials, decode_registry_auth
from tuibox.engine.registry.client import RepositorySession
from tuibox.engine.registry.endpoints import push_endpoints
from tuibox.engine.registry.manifests import DOCKER_MANIFEST
from tuibox.engine.registry.upload import CHUNK_SIZE, BlobUploader
from tuibox.engine.services.images.layer_source import layer_tar_source
from tuibox.engine.services.images.pull import layer_message
from tuibox.engine.services.images.push_layers import (
    PUSHED_LAYERS,
    KnownBlobs,
    LayerBlob,
    gzip_layer,
    is_gzip,
)
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.store.images import ImageStore

Message = dict[str, Any]
MAX_CONCURRENT_UPLOADS = 5
"""dockerd's default max-concurrent-uploads."""
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_PROGRESS_INTERVAL = 0.1


@dataclass
class _PushJob:
    """One tag's push: its session, what is known locally, and the layers' outcome."""

    reference: Reference
    record: ImageRecord
    uploader: BlobUploader
    known: KnownBlobs
    messages: asyncio.Queue[Message | None] = field(default_factory=asyncio.Queue)
    blobs: dict[int, LayerBlob] = field(default_factory=dict)


class ImagePusher:
    """Pushes run concurrently with everything else; a push leases what it reads, so no
    rmi or failed pull removes a layer or blob meanwhile. It never uses mirrors."""

    def __init__(self, images: ImageService, chunk_size: int = CHUNK_SIZE) -> None:
        self.images = images
        self.chunk_size = chunk_size

    async def push(
        self, name: str, tag: str | None, auth_header: str | None
    ) -> AsyncGenerator[Message, None]:
        """Push `name` (with `tag`, else every local tag of the repository), yielding
        Docker's progress messages; errors after the first message go in-band.

        Raises:
            InvalidArgument: an invalid name or tag, or a digest reference (before any
                message).
        """
        repository = parse_reference(name, default_tag=False)
        if repository.digest is not None:
            raise InvalidArgument("cannot push a digest reference")
        if tag:
            repository = repository.with_tag(validate_tag(tag))
        yield {"status": f"The push refers to repository [{repository.name}]"}
        credentials = decode_registry_auth(auth_header) or (
            self.images.registry.credential_lookup(repository.domain)
        )
        for reference, record in self._targets(repository):
            async for message in self._push_tag(reference, record, credentials):
                yield message

    def _targets(self, repository: Reference) -> list[tuple[Reference, ImageRecord]]:
        """The tags to push, with moby's errors for none."""
        store = self.images.images
        tagged = [(ref, store.get(image_id)) for ref, image_id in _tags_of(store, repository)]
        found = [(ref, record) for ref, record in tagged if record is not None]
        if not found:
            raise NotFound(
                f"An image does not exist locally with the tag: {repository.familiar_name}"
            )
        if repository.tag is None:
            return found
        chosen = [(ref, record) for ref, record in found if ref.tag == repository.tag]
        if not chosen:
            raise NotFound(f"tag does not exist: {repository.familiar}")
        return chosen

    async def _push_tag(
        self, reference: Reference, record: ImageRecord, credentials: Credentials | None
    ) -> AsyncGenerator[Message, None]:
        registry = self.images.registry
        endpoint = await registry.first_answering(push_endpoints(reference, registry.insecure))
        session = RepositorySession(registry.client_for(endpoint), endpoint, reference,
                                    credentials, registry.tokens, actions="pull,push")  # fmt: skip
        known = KnownBlobs.of(self.images.images.all(), self.images.images.refs_of)
        for source in known.sources_for(record, reference):
            session.auth.add_scope(f"repository:{source}:pull")
        job = _PushJob(reference, record, BlobUploader(session, self.chunk_size), known)
        async with self.images.store_lock:
            held = self.images.retention.lease(
                [*record.chain_ids, *record.layer_digests, record.id]
            )
        try:
            async for message in self._push_layers(job):
                yield message
            config = await self._push_config(job)
            digest, size = await self._put_manifest(job, config)
        finally:
            async with self.images.store_lock:
                self.images.retention.release(held)
        await self._remember(reference.with_digest(digest), record, job)
        self.images.publish("push", record.id, reference.familiar)
        tag = reference.tag or ""
        yield {"status": f"{tag}: digest: {digest} size: {size}"}
        yield {"progressDetail": {}, "aux": {"Tag": tag, "Digest": digest, "Size": size}}

    async def _remember(self, pushed: Reference, record: ImageRecord, job: _PushJob) -> None:
        """The repo digest, as dockerd adds it, and the layer blobs pushed, so a later push
        finds them or mounts them from here without compressing the layers again."""
        digests = tuple(job.blobs[i].digest for i in range(len(record.diff_ids)))
        store = self.images.images
        async with self.images.store_lock:
            await asyncio.to_thread(store.set_ref, pushed, record.id)
            current = store.get(record.id)
            if current is not None and current.extra.get(PUSHED_LAYERS) != list(digests):
                extra = {**current.extra, PUSHED_LAYERS: list(digests)}
                await asyncio.to_thread(store.save, replace(current, extra=extra).with_tags((), ()))

    async def _push_layers(self, job: _PushJob) -> AsyncGenerator[Message, None]:
        """Every layer at once (up to dockerd's upload limit), messages as they come."""
        count = len(job.record.diff_ids)
        for index in reversed(range(count)):  # dockerd lists the top layer first
            yield layer_message("Preparing", _short(job.record.diff_ids[index]))
        slots = asyncio.Semaphore(MAX_CONCURRENT_UPLOADS)
        tasks = [asyncio.create_task(self._layer(job, index, slots))
                 for index in reversed(range(count))]  # fmt: skip
        try:
            finished = 0
            while finished < count:
                message = await job.messages.get()
                if message is None:
                    finished += 1
                    _raise_first_failure(tasks)  # in-band; the finally cancels the others
                    continue
                yield message
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task
            for blob in job.blobs.values():
                if blob.temporary and blob.path is not None:
                    blob.path.unlink(missing_ok=True)

    async def _layer(self, job: _PushJob, index: int, slots: asyncio.Semaphore) -> None:
        layer_id = _short(job.record.diff_ids[index])
        try:
            if slots.locked():
                job.messages.put_nowait(layer_message("Waiting", layer_id))
            async with slots:
                known = await self._known_remotely(job, index, layer_id)
                if known is not None:
                    job.blobs[index] = known
                    return
                blob = await asyncio.to_thread(self._blob_for, job, index)
                job.blobs[index] = blob
                await self._send_layer(job, blob, layer_id)
        finally:
            job.messages.put_nowait(None)

    async def _known_remotely(self, job: _PushJob, index: int, layer_id: str) -> LayerBlob | None:
        """A blob known to stand for the layer that the repository has or can mount, found
        before any layer is read or compressed (as dockerd checks its v2 metadata first)."""
        diff_id = job.record.diff_ids[index]
        candidates = job.known.blobs.get(diff_id, [])
        for digest in candidates:
            size = await job.uploader.size_of(digest)
            if size is not None:
                job.messages.put_nowait(layer_message("Layer already exists", layer_id))
                return LayerBlob(diff_id, digest, size, None, temporary=False)
        for digest in candidates:
            for source in job.known.mount_sources(digest, job.reference):
                if await job.uploader.mount(digest, source):
                    size = await job.uploader.size_of(digest)
                    if size is not None:
                        job.messages.put_nowait(layer_message(f"Mounted from {source}", layer_id))
                        return LayerBlob(diff_id, digest, size, None, temporary=False)
        return None

    async def _send_layer(self, job: _PushJob, blob: LayerBlob, layer_id: str) -> None:
        uploader, put = job.uploader, job.messages.put_nowait
        if await uploader.exists(blob.digest):
            put(layer_message("Layer already exists", layer_id))
            return
        for source in job.known.mount_sources(blob.digest, job.reference):
            if await uploader.mount(blob.digest, source):
                put(layer_message(f"Mounted from {source}", layer_id))
                return
        last = 0.0

        def progress(sent: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= _PROGRESS_INTERVAL and sent < blob.size:
                last = now
                put(layer_message("Pushing", layer_id, sent, blob.size))

        assert blob.path is not None
        await uploader.upload(blob.path, blob.digest, progress)
        put(layer_message("Pushing", layer_id, blob.size, blob.size))
        put(layer_message("Pushed", layer_id))

    def _blob_for(self, job: _PushJob, index: int) -> LayerBlob:
        """The kept gzip blob of the layer when there is one, else a gzip of its tar (in a
        worker thread)."""
        content = self.images.content
        diff_id = job.record.diff_ids[index]
        for digest in job.known.blobs.get(diff_id, []):
            if content.has(digest) and is_gzip(content.path(digest)):
                path = content.path(digest)
                return LayerBlob(diff_id, digest, path.stat().st_size, path, temporary=False)
        stores = (content, self.images.layers, self.images.images)
        with layer_tar_source(stores, job.record, index) as tar:
            return gzip_layer(tar, diff_id, content.ingest_dir)

    async def _push_config(self, job: _PushJob) -> LayerBlob:
        content = self.images.content
        if not content.has(job.record.id):
            raise NotFound(f"the config blob of image {job.record.id} is missing; pull it again")
        path = content.path(job.record.id)
        config = LayerBlob("", job.record.id, path.stat().st_size, path, temporary=False)
        if not await job.uploader.exists(config.digest):
            await job.uploader.upload(path, config.digest, lambda _sent: None)
        return config

    async def _put_manifest(self, job: _PushJob, config: LayerBlob) -> tuple[str, int]:
        """The schema2 manifest, indented as dockerd writes it; returns digest and size."""
        layers = [job.blobs[i] for i in range(len(job.record.diff_ids))]
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": config.size, "digest": config.digest},
            "layers": [{"mediaType": DOCKER_LAYER, "size": b.size, "digest": b.digest}
                       for b in layers],
        }
        body = json.dumps(manifest, indent=3).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        announced = await job.uploader.put_manifest(job.reference.tag or "latest", body,
                                                    DOCKER_MANIFEST)  # fmt: skip
        if announced and announced != digest:
            raise InvalidArgument(
                f"the registry stored the manifest as {announced}, not as {digest}"
            )
        return digest, len(body)


def _raise_first_failure(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _tags_of(store: ImageStore, repository: Reference) -> list[tuple[Reference, str]]:
    """Local tags of the repository, sorted."""
    found = []
    for image_id in store.ids():
        for ref in store.refs_of(image_id):
            if ref.name == repository.name and ref.tag is not None:
                found.append((ref, image_id))
    return sorted(found, key=lambda pair: str(pair[0]))


def _short(diff_id: str) -> str:
    return diff_id.removeprefix("sha256:")[:12]
