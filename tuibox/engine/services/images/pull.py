"""Pull: resolve, download and verify blobs, unpack layers once, record the image."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.platform import Platform, check_image_platform
from tuibox.engine.domain.reference import Reference
from tuibox.engine.layers.ingest import ChunkFeed, ingest_layer
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits
from tuibox.engine.layers.writers.pool import WriterPool
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient, RepositorySession, ResolvedImage
from tuibox.engine.registry.manifests import MAX_CONFIG_BYTES, Descriptor
from tuibox.engine.services.images.config_checks import validate_image_config
from tuibox.engine.services.images.durability import LayerDurability
from tuibox.engine.services.images.retention import Retention
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore
from tuibox.humanize import human_size

log = logging.getLogger(__name__)

Message = dict[str, Any]
_PROGRESS_INTERVAL = 0.1
PARALLEL_LAYERS = 3
"""Layers fetched and unpacked at once per pull by default (the engine config's
max-concurrent-downloads, dockerd's default)."""
_BAR_WIDTH = 50


def progress_bar(current: int, total: int) -> str:
    """Docker's pre-rendered progress text: `[=====>     ]  1.2MB/2.1MB`."""
    if total <= 0:
        return f"{human_size(current):>8}"
    filled = min(_BAR_WIDTH, int(_BAR_WIDTH * current / total))
    bar = "=" * filled + (">" if filled < _BAR_WIDTH else "") + " " * (_BAR_WIDTH - filled - 1)
    return f"[{bar[:_BAR_WIDTH]}] {human_size(current):>8}/{human_size(total)}"


def layer_message(status: str, layer_id: str, current: int | None = None,
                  total: int | None = None) -> Message:  # fmt: skip
    """One per-layer progress message; `current`/`total` add progressDetail and the bar."""
    if current is None or total is None:
        return {"status": status, "progressDetail": {}, "id": layer_id}
    return {"status": status, "progressDetail": {"current": current, "total": total},
            "progress": progress_bar(current, total), "id": layer_id}  # fmt: skip


@dataclass(frozen=True)
class _LayerDone:
    """A layer task has ended; `error` when it failed."""

    error: BaseException | None


@dataclass(frozen=True)
class _Slots:
    """One pull's bounds: layers downloading, and layers in flight (downloading or
    still unpacking)."""

    downloads: asyncio.Semaphore
    in_flight: asyncio.Semaphore


@dataclass
class _PullJob:
    """What one pull holds and has added, for the record or for the cleanup."""

    resolved: ResolvedImage
    held: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    config_bytes: bytes = b""
    existing: ImageRecord | None = None
    diff_ids: list[str] = field(default_factory=list)


class ImagePuller:
    """Pulls run concurrently; the store lock guards leases, the record and the cleanup.

    Chain IDs and blob digests a pull relies on are leased (see images_retention) from the
    moment it checks they exist, so a concurrent rmi or failed pull never removes them. A
    failed or cancelled pull removes the layers and blobs it added that nothing else holds.
    """

    def __init__(
        self,
        stores: tuple[ContentStore, LayerStore, ImageStore],
        registry: RegistryClient,
        store_lock: asyncio.Lock,
        retention: Retention,
        limits: UnpackLimits | None = None,
        parallel_layers: int = PARALLEL_LAYERS,
        durability: LayerDurability | None = None,
        writers: WriterPool | None = None,
    ) -> None:
        self.content, self.layers, self.images = stores
        self.writers = writers
        self.parallel_layers = parallel_layers
        self.durability = durability or LayerDurability(self.layers)
        self.registry = registry
        self.store_lock = store_lock
        self.retention = retention
        self.limits = limits or UnpackLimits()
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        """Chain ID -> done when the pull fetching that layer now has finished with it."""

    async def pull(
        self, reference: Reference, credentials: Credentials | None,
        platform: Platform | None = None,
    ) -> AsyncGenerator[Message, None]:  # fmt: skip
        """Pull `reference`, yielding Docker's progress messages.

        Errors before the first message (missing repository or tag, unreachable registry)
        propagate before anything is yielded, so the API can answer with a plain status.
        An image already present gives only the "Digest" and "Status" lines, as moby.
        """
        session, resolved = await self.registry.resolve(reference, credentials, platform)
        for mirror, reason in session.skipped:  # dockerd only logs these; a user wants to know
            yield {"status": f"Mirror {mirror} failed, tried the next: {reason}"}
        yield {"status": f"Pulling from {reference.repository}",
               "id": reference.tag or reference.digest}  # fmt: skip
        job = _PullJob(resolved)
        done = False
        try:
            if not await self._lease_existing(job):
                await self._fetch_config(session, job)
                if platform is not None:  # a single-platform image must be the one asked for
                    check_image_platform(reference.familiar, json.loads(job.config_bytes),
                                         platform)  # fmt: skip
                async with aclosing(self._pull_layers(session, job)) as messages:
                    async for message in messages:
                        yield message
            status = await self._record(reference, job)
            done = True
            self.durability.synced_later(job.created)
        finally:
            await self._finish(job, done)
        yield {"status": f"Digest: {resolved.digest}"}
        yield {"status": f"Status: {status} for {reference.familiar}"}

    async def _lease_existing(self, job: _PullJob) -> bool:
        """Lease the blobs; True when the image and all its layers are already here."""
        manifest = job.resolved.manifest
        blobs = [manifest.config.digest, job.resolved.digest, job.resolved.manifest_digest]
        async with self.store_lock:
            job.held += self.retention.lease([*blobs, *(d.digest for d in manifest.layers)])
            record = self.images.get(manifest.config.digest)
            if record is None or len(record.diff_ids) != len(manifest.layers):
                return False
            job.held += self.retention.lease(record.chain_ids)
            if not all(self.layers.has(c) for c in record.chain_ids):
                return False
        job.existing, job.diff_ids = record, record.diff_ids
        return True

    async def _fetch_config(self, session: RepositorySession, job: _PullJob) -> None:
        descriptor = job.resolved.manifest.config
        if descriptor.size > MAX_CONFIG_BYTES:
            raise InvalidArgument(f"image config is {descriptor.size} bytes, too large")
        data = await session.fetch_blob(descriptor)
        config = parse_json(data, "the image config")
        if not isinstance(config, dict):
            raise InvalidArgument("image config is not a JSON object")
        job.diff_ids = validate_image_config(config, len(job.resolved.manifest.layers))
        job.config_bytes = data

    async def _pull_layers(
        self, session: RepositorySession, job: _PullJob
    ) -> AsyncGenerator[Message, None]:
        """Fetch the missing layers, each unpacked while it downloads (layers/ingest.py);
        their messages interleave as Docker's do. The first failure cancels the others,
        whose staging dirs go with them.

        At most `parallel_layers` download at once; a layer whose download has ended
        frees its download slot while it finishes unpacking, so the next download need not
        wait for a slow unpack (24,000 small files take a second after their blob is in),
        and at most twice that many are in flight in all (each buffers up to a feed's worth
        of chunks)."""
        layers = job.resolved.manifest.layers
        chains = chain_ids(job.diff_ids)
        async with self.store_lock:
            job.held += self.retention.lease(chains)
            present = [self.layers.has(chain_id) for chain_id in chains]
        for index, layer in enumerate(layers):
            status = "Already exists" if present[index] else "Pulling fs layer"
            yield layer_message(status, _short(layer))
        todo = [index for index in range(len(layers)) if not present[index]]
        if not todo:
            return
        out: asyncio.Queue[Message | _LayerDone] = asyncio.Queue()
        slots = _Slots(asyncio.Semaphore(self.parallel_layers),
                       asyncio.Semaphore(2 * self.parallel_layers))  # fmt: skip
        tasks = [asyncio.create_task(self._layer(session, job, index, chains[index], slots, out))
                 for index in todo]  # fmt: skip
        try:
            running = len(tasks)
            while running:
                item = await out.get()
                if isinstance(item, _LayerDone):
                    running -= 1
                    if item.error is not None:
                        raise item.error
                    continue
                yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _layer(
        self, session: RepositorySession, job: _PullJob, index: int, chain_id: str,
        slots: _Slots, out: asyncio.Queue[Message | _LayerDone],
    ) -> None:  # fmt: skip
        """One layer: fetched once even when several pulls want it at the same time."""
        layer = job.resolved.manifest.layers[index]
        error: BaseException | None = None
        try:
            while (other := self._in_flight.get(chain_id)) is not None:
                out.put_nowait(layer_message("Waiting", _short(layer)))
                await asyncio.shield(other)
            if self.layers.has(chain_id):
                out.put_nowait(layer_message("Already exists", _short(layer)))
                return
            mine = asyncio.get_running_loop().create_future()
            self._in_flight[chain_id] = mine
            try:
                async with slots.in_flight:
                    await self._ingest(session, layer, job.diff_ids[index], chain_id, job,
                                       slots.downloads, out)  # fmt: skip
            finally:
                del self._in_flight[chain_id]
                mine.set_result(None)  # waiters look at the store again
        except asyncio.CancelledError:
            raise
        except Exception as err:  # reported through the queue, raised by the generator
            error = err
        finally:
            out.put_nowait(_LayerDone(error))

    async def _ingest(
        self, session: RepositorySession, layer: Descriptor, diff_id: str, chain_id: str,
        job: _PullJob, downloads: asyncio.Semaphore, out: asyncio.Queue[Message | _LayerDone],
    ) -> None:  # fmt: skip
        layer_id = _short(layer)
        # On the loop thread (a mkdir): a to_thread here could be cancelled after the
        # directory was made, and nothing would remove it.
        staging = self.layers.staging_dir()
        feed = ChunkFeed()

        def unpack_and_commit() -> bool:
            result = ingest_layer(feed, staging, digest=layer.digest, size=layer.size,
                                  diff_id=diff_id, limits=self.limits,
                                  writers=self.writers)  # fmt: skip
            self.layers.mark_unsynced(staging)  # synced once the pull is done (durability.py)
            return self.layers.commit(staging, chain_id, diff_id, result.size)

        worker = asyncio.ensure_future(asyncio.to_thread(unpack_and_commit))
        try:
            received, last = 0, 0.0
            async with downloads, aclosing(session.stream_blob(layer)) as chunks:
                async for chunk in chunks:
                    if worker.done():
                        break  # it stopped early; its error says why
                    await feed.put(chunk)
                    received += len(chunk)
                    now = time.monotonic()
                    if now - last >= _PROGRESS_INTERVAL:
                        last = now
                        out.put_nowait(layer_message("Downloading", layer_id, received,
                                                     layer.size))  # fmt: skip
            await feed.end()
            out.put_nowait(layer_message("Verifying Checksum", layer_id))
            out.put_nowait(layer_message("Download complete", layer_id))
            out.put_nowait(layer_message("Extracting", layer_id, received, layer.size))
            await asyncio.shield(worker)
        except BaseException:
            feed.abort()
            await asyncio.gather(asyncio.shield(worker), return_exceptions=True)
            if worker.done() and not worker.cancelled() and worker.exception() is None:
                if worker.result():  # committed as the cancel came: the cleanup must know
                    job.created.append(chain_id)
            else:
                await asyncio.to_thread(self.layers.discard, staging)
            raise
        if worker.result():
            job.created.append(chain_id)
        out.put_nowait(layer_message("Pull complete", layer_id))

    async def _record(self, reference: Reference, job: _PullJob) -> str:
        resolved = job.resolved
        image_id = resolved.manifest.config.digest
        if job.existing is None:
            await asyncio.to_thread(self.content.put, job.config_bytes, image_id)
        await asyncio.to_thread(self.content.put, resolved.manifest_bytes, resolved.manifest_digest)
        async with self.store_lock:
            await asyncio.to_thread(self._save_record, job)
            previous = await asyncio.to_thread(self.images.set_ref, reference, image_id)
            digest_ref = reference.with_digest(resolved.digest)
            await asyncio.to_thread(self.images.set_ref, digest_ref, image_id)
        return "Image is up to date" if previous == image_id else "Downloaded newer image"

    def _save_record(self, job: _PullJob) -> None:
        """Write the image record (runs under the store lock), checking its layers again."""
        resolved = job.resolved
        image_id = resolved.manifest.config.digest
        chains = chain_ids(job.diff_ids)
        missing = [c for c in chains if not self.layers.has(c)]
        if missing:
            raise RuntimeFailure(f"layer {missing[0]} was removed during the pull; pull again")
        if self.images.exists(image_id):
            return
        if job.existing is not None:
            self.images.save(job.existing.with_tags((), ()))
            return
        config = json.loads(job.config_bytes)
        extra = {} if resolved.manifest_digest == resolved.digest else {
            "platform_manifest": resolved.manifest_digest}  # fmt: skip
        self.images.save(ImageRecord(
            id=image_id, config=config, size=sum(self.layers.info(c).size for c in chains),
            created=timestamps.parse_seconds(str(config.get("created") or "")) or 0,
            manifest_digest=resolved.digest, extra=extra,
            layer_digests=tuple(d.digest for d in resolved.manifest.layers),
            layer_media_types=tuple(d.media_type for d in resolved.manifest.layers),
        ))  # fmt: skip

    async def _finish(self, job: _PullJob, done: bool) -> None:
        """Release the leases; after a failure, remove what this pull added and nothing holds."""
        async with self.store_lock:
            self.retention.release(job.held)
            if done or not job.created:
                return
            keep = self.retention.keep()
            try:
                await asyncio.to_thread(self.retention.prune, job.created, [], keep)
            except OSError as err:
                log.error("cleanup after a failed pull left files behind: %s", err)


def _short(layer: Descriptor) -> str:
    return layer.digest.removeprefix("sha256:")[:12]
