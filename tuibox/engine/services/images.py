"""Image verbs: resolve, pull, import, list, inspect, tag and remove, over the image stores."""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference, validate_tag
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer
from tuibox.engine.registry.auth import decode_registry_auth
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.services import images_json
from tuibox.engine.services.images_import import MAX_IMPORT_BYTES, import_config, parse_changes
from tuibox.engine.services.images_pull import ImagePuller
from tuibox.engine.services.images_remove import ImageRemover
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

UsageLookup = Callable[[str], list[tuple[str, bool]]]
_FULL_ID_RE = re.compile(r"^(?:sha256:)?([a-f0-9]{64})$")
_ID_PREFIX_RE = re.compile(r"^(?:sha256:)?([a-f0-9]{1,63})$")


class ImageService:
    """Everything about images; the container service asks it for records and layer dirs.

    Lifecycle: `open` once at engine start (stores under data_root: content/, images/,
    layers/), `set_usage_lookup` once the container service exists, `aclose` at shutdown.
    Record and index changes are serialised by one lock; downloads run concurrently.
    """

    def __init__(
        self,
        content: ContentStore,
        images: ImageStore,
        layers: LayerStore,
        registry: RegistryClient,
        limits: UnpackLimits | None = None,
    ) -> None:
        self.content = content
        self.images = images
        self.layers = layers
        self.registry = registry
        self.limits = limits or UnpackLimits()
        self._lock = asyncio.Lock()
        self._usage: UsageLookup = lambda _image_id: []
        self._puller = ImagePuller(
            content, layers, images, registry, self._lock, self._layer_used, self.limits
        )
        self._remover = ImageRemover(content, images, layers, lambda i: self._usage(i))

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
        )

    async def aclose(self) -> None:
        await self.registry.aclose()

    def set_usage_lookup(self, lookup: UsageLookup) -> None:
        """Install the container service's `image id -> [(container id, running)]`."""
        self._usage = lookup

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
        full = _FULL_ID_RE.match(name)
        if full:
            return self.images.get("sha256:" + full.group(1))
        prefix = _ID_PREFIX_RE.match(name)
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

    def layer_dirs(self, image_id: str) -> list[Path]:
        """Overlay lower dirs of an image, topmost first.

        Raises:
            NotFound: the image or one of its layers is missing.
        """
        record = self.images.get(image_id)
        if record is None:
            raise NotFound(f"No such image: {image_id}")
        dirs = []
        for chain_id in reversed(record.chain_ids):
            if not self.layers.has(chain_id):
                raise NotFound(f"layer {chain_id} of image {record.short_id} is missing")
            dirs.append(self.layers.diff_dir(chain_id))
        return dirs

    async def pull(
        self, from_image: str, tag: str | None, auth_header: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        """Pull an image, yielding Docker's JSON progress messages.

        Raises:
            InvalidArgument, NotFound, Unavailable: before the first message when the
                reference is invalid or the registry refuses.
        """
        reference = parse_reference(from_image)
        if tag:
            reference = reference.with_digest(tag) if ":" in tag else reference.with_tag(tag)
            reference = parse_reference(str(reference))
        async for message in self._puller.pull(reference, decode_registry_auth(auth_header)):
            yield message

    async def import_rootfs(
        self,
        body: AsyncIterator[bytes],
        repo: str | None,
        tag: str | None,
        message: str | None,
        changes: list[str],
    ) -> AsyncIterator[dict[str, Any]]:
        """Import a (possibly gzipped) rootfs tar as a one-layer image; last message its ID.

        Raises:
            InvalidArgument: a bad reference, change or tar stream (before any message).
        """
        section = parse_changes(changes)
        target = _import_target(repo, tag)
        staging = await asyncio.to_thread(self.layers.staging_dir)
        try:
            diff_id, size = await self._unpack_import(body, staging)
            await asyncio.to_thread(self.layers.commit, staging, diff_id, diff_id, size)
        except BaseException:
            await asyncio.to_thread(self.layers.discard, staging)
            raise
        config_bytes = import_config(diff_id, section, message)
        image_id = await self._record_import(config_bytes, size, target)
        yield {"status": image_id}

    async def _unpack_import(self, body: AsyncIterator[bytes], staging: Path) -> tuple[str, int]:
        fd, name = tempfile.mkstemp(prefix="import-", dir=staging)
        body_path = Path(name)
        received = 0
        with open(fd, "wb") as sink:
            async for chunk in body:
                received += len(chunk)
                if received > MAX_IMPORT_BYTES:
                    raise InvalidArgument(f"import refused: more than {MAX_IMPORT_BYTES} bytes")
                await asyncio.to_thread(sink.write, chunk)
        if received == 0:
            raise InvalidArgument("import refused: the request body is empty; send a tar stream")
        result = await asyncio.to_thread(unpack_layer, body_path, staging / "diff",
                                         limits=self.limits)  # fmt: skip
        body_path.unlink()
        return result.diff_id, result.size

    async def _record_import(self, config_bytes: bytes, size: int, target: Reference | None) -> str:
        image_id = await asyncio.to_thread(self.content.put, config_bytes)
        record = ImageRecord(
            id=image_id, config=json.loads(config_bytes), size=size,
            created=int(datetime.now(UTC).timestamp()),
        )  # fmt: skip
        async with self._lock:
            await asyncio.to_thread(self.images.save, record)
            if target is not None:
                await asyncio.to_thread(self.images.set_ref, target, image_id)
        return image_id

    async def list_images(
        self, all_images: bool, filters: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Docker ImageSummary objects, newest first.

        Raises:
            InvalidArgument: an unknown filter.
            NotFound: a before/since filter names an unknown image.
        """
        del all_images  # no intermediate images exist here
        images_json.check_filters(filters)
        since = max((self.resolve(v).created for v in filters.get("since", [])), default=0)
        before = min((self.resolve(v).created for v in filters.get("before", [])), default=0)
        records = sorted(self.images.all(), key=lambda r: (r.created, r.id), reverse=True)
        return [
            images_json.image_summary(r, len(self._usage(r.id)))
            for r in records
            if images_json.matches_filters(r, filters, (since, before))
        ]

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
        return images_json.image_inspect(record, lower_dirs)

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
                record, last_tag_time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            )
            await asyncio.to_thread(self.images.save, stamped.with_tags((), ()))

    async def remove(self, name: str, force: bool, noprune: bool) -> list[dict[str, str]]:
        """Untag and, when no reference remains, delete an image and its unused layers.

        Raises:
            NotFound: no such image.
            Conflict: a container uses it (forceable unless the container runs).
        """
        async with self._lock:
            record = self.resolve(name)
            return await asyncio.to_thread(self._remover.remove, name, record, force, noprune)

    def _layer_used(self, chain_id: str) -> bool:
        return any(chain_id in r.chain_ids for r in self.images.all())


def _import_target(repo: str | None, tag: str | None) -> Reference | None:
    if not repo:
        return None
    target = parse_reference(repo)
    if target.digest is not None:
        raise InvalidArgument("refusing to import with a digest reference; use name:tag")
    return target.with_tag(validate_tag(tag)) if tag else target


def _display_name(name: str) -> str:
    if _FULL_ID_RE.match(name):
        return name
    try:
        return parse_reference(name).familiar
    except InvalidArgument:
        return name
