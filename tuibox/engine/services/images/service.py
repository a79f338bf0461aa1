"""Image verbs: resolve, pull, import, list, inspect, history, tag and remove, over the stores."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from tuibox import timestamps
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.platform import parse_platform, require_linux
from tuibox.engine.domain.reference import Reference, parse_reference, validate_tag
from tuibox.engine.events import Event, EventBus
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits
from tuibox.engine.layers.writers.pool import WriterPool
from tuibox.engine.registry.auth import decode_registry_auth
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.services.images import history, registry_queries, views
from tuibox.engine.services.images.committer import ImageCommitter
from tuibox.engine.services.images.durability import LayerDurability
from tuibox.engine.services.images.importer import ImageImporter, parse_changes
from tuibox.engine.services.images.prune import prune_selection, remove_all
from tuibox.engine.services.images.pull import ImagePuller
from tuibox.engine.services.images.removal import ImageRemover, RemoveRequest
from tuibox.engine.services.images.retention import Collected, Retention
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

UsageLookup = Callable[[str], list[tuple[str, bool]]]
_FULL_ID_RE = re.compile(r"(?:sha256:)?([a-f0-9]{64})", re.ASCII)
_ID_PREFIX_RE = re.compile(r"(?:sha256:)?([a-f0-9]{1,63})", re.ASCII)


class ImageService:
    """Everything about images; the container service asks it for records and layer dirs.

    Lifecycle: `open` once at engine start (stores under data_root: content/, images/,
    layers/), `set_usage_lookup` and `set_layer_usage_lookup` once the container service
    exists, then `collect_garbage`; `aclose` at shutdown.
    Record and index changes are serialised by one lock; downloads run concurrently.
    """

    def __init__(
        self,
        content: ContentStore,
        images: ImageStore,
        layers: LayerStore,
        registry: RegistryClient,
        limits: UnpackLimits | None = None,
        parallel_layers: int = 3,
    ) -> None:
        self.content = content
        self.images = images
        self.layers = layers
        self.registry = registry
        self.limits = limits or UnpackLimits()
        self._lock = asyncio.Lock()
        self._usage: UsageLookup = lambda _image_id: []
        self._retention = Retention(content, images, layers)
        stores = (content, layers, images)
        self.durability = LayerDurability(layers)
        self.writers = WriterPool()
        self._puller = ImagePuller(stores, registry, self._lock, self._retention, self.limits,
                                   parallel_layers, self.durability, self.writers)  # fmt: skip
        self._importer = ImageImporter(stores, self._lock, self._retention, self.limits)
        self.committer = ImageCommitter(stores, self._lock, self._retention, self.limits)
        self._remover = ImageRemover(images, self._retention)
        self._events: EventBus | None = None

    def set_event_bus(self, events: EventBus) -> None:
        """Publish image events (pull, import, tag, untag, delete) on the engine's bus."""
        self._events = events

    def publish(self, action: str, actor_id: str, name: str) -> None:
        """An image event on the engine's bus (none before `set_event_bus`)."""
        if self._events is not None:
            self._events.publish(Event("image", action, actor_id, {"name": name}))

    @property
    def store_lock(self) -> asyncio.Lock:
        """The lock every record, index, lease and prune change holds."""
        return self._lock

    @property
    def retention(self) -> Retention:
        """Leases and pruning rules, shared with the verbs built beside this service."""
        return self._retention

    @classmethod
    def open(
        cls, config: EngineConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> ImageService:
        """Open (creating) the stores under `config.data_root`."""
        root = config.data_root
        root.mkdir(parents=True, exist_ok=True)
        return cls(
            ContentStore(root / "content"),
            ImageStore(root / "images"),
            LayerStore(root / "layers"),
            RegistryClient(config.registry_mirrors, config.insecure_registries, transport),
            parallel_layers=config.max_concurrent_downloads,
        )

    async def aclose(self) -> None:
        await self.durability.aclose()
        await self.registry.aclose()
        await asyncio.to_thread(self.writers.close)

    def set_usage_lookup(self, lookup: UsageLookup) -> None:
        """Install the container service's `image id -> [(container id, running)]`."""
        self._usage = lookup

    def set_layer_usage_lookup(self, lookup: Callable[[], set[str]]) -> None:
        """Install the container service's "chain IDs every container holds" lookup.

        Called on the event loop thread; no prune (rmi, failed pull, garbage collection)
        ever removes a layer it returns.
        """
        self._retention.set_container_chains(lookup)

    async def collect_garbage(self) -> Collected:
        """Check the layers a crash may have cut short (durability.py), then remove blobs
        and layer dirs no image record, pull or container refers to.

        Call once at engine start, after the container service has loaded its containers
        and installed `set_layer_usage_lookup` (stale temp files are removed when the
        stores open).
        """
        async with self._lock:
            await asyncio.to_thread(self.durability.verify_after_crash)
            keep = self._retention.keep()
            return await asyncio.to_thread(self._retention.collect, keep)

    def image_count(self) -> int:
        return self.images.count()

    def resolve(self, name: str) -> ImageRecord:
        """Find an image by ID, unique ID prefix, name:tag, name@digest or bare name.

        Raises:
            NotFound: "No such image: busybox:latest" (familiar form).
            InvalidArgument: `name` is neither an ID nor a valid reference.
        """
        record = self._find(name)
        if record is None:
            raise NotFound(f"No such image: {_display_name(name)}")
        return record

    def _find(self, name: str) -> ImageRecord | None:
        full = _FULL_ID_RE.fullmatch(name)
        if full:
            return self.images.get("sha256:" + full.group(1))
        prefix = _ID_PREFIX_RE.fullmatch(name)
        try:
            image_id = self.images.lookup(parse_reference(name))
        except InvalidArgument:
            if prefix is None:
                raise
            image_id = None
        if image_id is None:
            matches = self.images.find_by_prefix(prefix.group(1)) if prefix else []
            image_id = matches[0] if len(matches) == 1 else None
        return self.images.get(image_id) if image_id else None

    def chain_ids(self, image_id: str) -> list[str]:
        """The chain IDs of an image's layers, bottom first (what a container must hold).

        Raises:
            NotFound: no such image.
        """
        record = self.images.get(image_id)
        if record is None:
            raise NotFound(f"No such image: {image_id}")
        return record.chain_ids

    def layer_dirs_for_chains(self, chain_ids: list[str]) -> list[Path]:
        """Overlay lower dirs of a layer stack given bottom first; returned topmost first.

        Raises:
            NotFound: a layer is not unpacked (any more).
        """
        dirs = []
        for chain_id in reversed(chain_ids):
            if not self.layers.has(chain_id):
                raise NotFound(
                    f"layer {chain_id} is missing from the layer store; pull the image again "
                    "or remove the container"
                )
            dirs.append(self.layers.diff_dir(chain_id))
        return dirs

    def layers_size(self, chain_ids: list[str]) -> int:
        """Bytes the given layers take unpacked (those still in the layer store)."""
        return sum(self.layers.info(c).size for c in chain_ids if self.layers.has(c))

    def layer_dirs(self, image_id: str) -> list[Path]:
        """Overlay lower dirs of an image, topmost first.

        Raises:
            NotFound: the image or one of its layers is missing.
        """
        return self.layer_dirs_for_chains(self.chain_ids(image_id))

    async def pull(
        self,
        from_image: str,
        tag: str | None,
        auth_header: str | None,
        platform: str | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Pull an image for this host's platform, yielding Docker's JSON progress messages.

        Raises:
            InvalidArgument, NotFound, Unavailable: before the first message when the
                reference or platform is invalid or the registry refuses.
        """
        wanted = require_linux(parse_platform(platform)) if platform else None
        reference = parse_reference(from_image)
        if tag:
            reference = reference.with_digest(tag) if ":" in tag else reference.with_tag(tag)
            reference = parse_reference(str(reference))
        pulling = self._puller.pull(reference, decode_registry_auth(auth_header), wanted)
        async with aclosing(pulling) as messages:  # a cancelled pull cleans up at once
            async for message in messages:
                yield message
        self.publish("pull", reference.familiar, reference.familiar_name)

    async def import_rootfs(
        self,
        body: AsyncIterator[bytes],
        repo: str | None,
        tag: str | None,
        message: str | None,
        changes: list[str],
        platform: str | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Import a (possibly gzipped) rootfs tar as a one-layer image; last message its ID.

        `platform` (os/arch[/variant], linux only) is written into the image config; the
        host's by default.

        Raises:
            InvalidArgument: a bad reference, change, platform or tar stream (before any
                message).
        """
        target_platform = require_linux(parse_platform(platform)) if platform else None
        section = parse_changes(changes)
        target = _import_target(repo, tag)
        image_id = await self._importer.import_rootfs(
            body, target, section, message, target_platform
        )
        self.publish("import", image_id, target.familiar if target else "")
        yield {"status": image_id}

    async def list_images(
        self, all_images: bool, filters: dict[str, list[str]], shared_size: bool = False
    ) -> list[dict[str, Any]]:
        """Docker ImageSummary objects, newest first; SharedSize only when asked (else -1).

        Raises:
            InvalidArgument: an unknown filter.
            NotFound: a before/since filter names an unknown image.
        """
        del all_images  # no intermediate images exist here
        views.check_filters(filters)
        since = max((self.resolve(v).created for v in filters.get("since", [])), default=0)
        before = min((self.resolve(v).created for v in filters.get("before", [])), default=0)
        records = sorted(self.images.all(), key=lambda r: (r.created, r.id), reverse=True)
        shared = self._shared_sizes(records) if shared_size else {}
        return [
            views.image_summary(
                r, len(self._usage(r.id)), shared.get(r.id, -1), filters.get("reference")
            )
            for r in records
            if views.matches_filters(r, filters, (since, before))
        ]

    def _shared_sizes(self, records: list[ImageRecord]) -> dict[str, int]:
        """Per image, the bytes of its layers that another image uses too."""
        users = Counter(chain for record in records for chain in set(record.chain_ids))
        return {
            record.id: self.layers_size([c for c in set(record.chain_ids) if users[c] > 1])
            for record in records
        }

    async def inspect(self, name: str) -> dict[str, Any]:
        """Docker's image inspect JSON.

        Raises:
            NotFound: no such image.
        """
        record = self.resolve(name)
        try:
            lower_dirs = [str(p) for p in self.layer_dirs(record.id)]
        except NotFound:
            lower_dirs = []
        return views.image_inspect(record, lower_dirs)

    async def history(self, name: str, platform: str | None = None) -> list[dict[str, Any]]:
        """Docker's image history, newest first; `platform` is the JSON-encoded OCI
        platform the image must be for, as dockerd takes it.

        Raises:
            NotFound: no such image (for that platform), or one of its layers is missing.
            InvalidArgument: a malformed platform.
        """
        wanted = history.decode_platform(platform) if platform else None
        record = self.resolve(name)
        if wanted is not None:
            history.check_platform(name, record, wanted)
        return history.image_history(record, self._layer_size)

    def _layer_size(self, chain_id: str) -> int:
        if not self.layers.has(chain_id):
            raise NotFound(
                f"layer {chain_id} is missing from the layer store; pull the image again"
            )
        return self.layers.info(chain_id).size

    async def tag(self, source: str, repo: str, tag: str | None) -> None:
        """Point repo:tag (tag defaults to latest) at the image `source` names.

        Raises:
            NotFound: no such source image.
            InvalidArgument: an invalid repository or tag, or a digest reference.
        """
        record = self.resolve(source)
        target = parse_reference(repo)
        if target.digest is not None:
            raise InvalidArgument("refusing to create a tag with a digest reference")
        if tag:
            target = target.with_tag(validate_tag(tag))
        async with self._lock:
            await asyncio.to_thread(self.images.set_ref, target, record.id)
            stamped = replace(
                record, last_tag_time=timestamps.now()
            )
            await asyncio.to_thread(self.images.save, stamped.with_tags((), ()))
        self.publish("tag", record.id, target.familiar)

    async def remove(self, name: str, force: bool, noprune: bool) -> list[dict[str, str]]:
        """Untag and, when no reference remains, delete an image and its unused layers.

        Raises:
            NotFound: no such image.
            Conflict: a container uses it (forceable unless the container runs).
        """
        async with self._lock:
            record = self.resolve(name)
            request = RemoveRequest(
                name, record, self._usage(record.id), force, noprune, self._retention.keep()
            )
            results = await asyncio.to_thread(self._remover.remove, request)
        for result in results:
            if "Untagged" in result:
                self.publish("untag", record.id, result["Untagged"])
            elif result.get("Deleted") == record.id:
                self.publish("delete", record.id, name)
        return results

    async def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        """POST /images/prune: delete unused images (untagged only unless dangling=false).

        An image any container uses, running or not, stays. SpaceReclaimed counts the
        unpacked bytes of the layers actually removed.

        Raises:
            InvalidArgument: an unknown filter, a bad dangling value or until time.
        """
        selection = prune_selection(filters, time.time())
        async with self._lock:
            doomed = [r for r in self.images.all()
                      if selection.takes(r) and not self._usage(r.id)]  # fmt: skip
            deleted, reclaimed = await asyncio.to_thread(
                remove_all, self._remover, self.layers, doomed, self._retention.keep()
            )
        for image_id, result in deleted:
            if "Untagged" in result:
                self.publish("untag", image_id, result["Untagged"])
            elif result.get("Deleted") == image_id:
                self.publish("delete", image_id, image_id)
        if self._events is not None:
            self._events.publish(Event("image", "prune", "", {"reclaimed": str(reclaimed)}))
        return {"ImagesDeleted": [r for _, r in deleted] or None, "SpaceReclaimed": reclaimed}

    async def distribution(self, name: str, auth_header: str | None) -> dict[str, Any]:
        """GET /distribution/{name}/json: the remote descriptor and platforms (nothing stored).

        Raises:
            InvalidArgument, NotFound, Unauthorized, Unavailable: as a pull would.
        """
        return await registry_queries.distribution_info(self.registry, name, auth_header)

    async def search(
        self, term: str, limit: int | None, filters: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """GET /images/search on the registry the term names (see registry_queries.search)."""
        return await registry_queries.search(self.registry, term, limit, filters)


def _import_target(repo: str | None, tag: str | None) -> Reference | None:
    if not repo:
        return None
    target = parse_reference(repo)
    if target.digest is not None:
        raise InvalidArgument("refusing to import with a digest reference; use name:tag")
    return target.with_tag(validate_tag(tag)) if tag else target


def _display_name(name: str) -> str:
    if _FULL_ID_RE.fullmatch(name):
        return name
    try:
        return parse_reference(name).familiar
    except InvalidArgument:
        return name
