"""Pull: resolve, download and verify blobs, unpack layers once, record the image."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.domain.reference import Reference, validate_digest
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient, RepositorySession, ResolvedImage
from tuibox.engine.registry.manifests import MAX_CONFIG_BYTES, Descriptor
from tuibox.engine.services.images_json import human_size, rfc3339_to_unix
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

Message = dict[str, Any]
_PROGRESS_INTERVAL = 0.1
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


class ImagePuller:
    """Runs one pull at a time per call; the store lock guards the final record writes."""

    def __init__(
        self,
        content: ContentStore,
        layers: LayerStore,
        images: ImageStore,
        registry: RegistryClient,
        store_lock: asyncio.Lock,
        layer_in_use: Callable[[str], bool],
        limits: UnpackLimits | None = None,
    ) -> None:
        self.content = content
        self.layers = layers
        self.images = images
        self.registry = registry
        self.store_lock = store_lock
        self.layer_in_use = layer_in_use
        self.limits = limits or UnpackLimits()

    async def pull(
        self, reference: Reference, credentials: Credentials | None
    ) -> AsyncIterator[Message]:
        """Pull `reference`, yielding Docker's progress messages.

        Errors before the first message (missing repository or tag, unreachable registry)
        propagate before anything is yielded, so the API can answer with a plain status.
        """
        session, resolved = await self.registry.resolve(reference, credentials)
        yield {"status": f"Pulling from {reference.repository}",
               "id": reference.tag or reference.digest}  # fmt: skip
        config_bytes, config = await self._fetch_config(session, resolved)
        diff_ids = _diff_ids(config, len(resolved.manifest.layers))
        created: list[str] = []
        try:
            async for message in self._pull_layers(session, resolved, diff_ids, created):
                yield message
            status = await self._record(reference, resolved, config_bytes, config, diff_ids)
        except BaseException:
            await asyncio.to_thread(self._drop_new_layers, created)
            raise
        yield {"status": f"Digest: {resolved.digest}"}
        yield {"status": f"Status: {status} for {reference.familiar}"}

    async def _fetch_config(
        self, session: RepositorySession, resolved: ResolvedImage
    ) -> tuple[bytes, dict[str, Any]]:
        descriptor = resolved.manifest.config
        if descriptor.size > MAX_CONFIG_BYTES:
            raise InvalidArgument(f"image config is {descriptor.size} bytes, too large")
        data = await session.fetch_blob(descriptor)
        try:
            config = json.loads(data)
        except ValueError:
            raise InvalidArgument("image config is not valid JSON") from None
        if not isinstance(config, dict):
            raise InvalidArgument("image config is not a JSON object")
        return data, config

    async def _pull_layers(
        self,
        session: RepositorySession,
        resolved: ResolvedImage,
        diff_ids: list[str],
        created: list[str],
    ) -> AsyncIterator[Message]:
        layers = resolved.manifest.layers
        chains = chain_ids(diff_ids)
        todo: list[int] = []
        for index, layer in enumerate(layers):
            if self.layers.has(chains[index]):
                yield layer_message("Already exists", _short(layer))
            else:
                yield layer_message("Pulling fs layer", _short(layer))
                todo.append(index)
        for index in todo:
            layer = layers[index]
            async for message in self._download(session, layer):
                yield message
            yield layer_message("Extracting", _short(layer), 0, layer.size)
            blob = self.content.path(layer.digest)
            if await asyncio.to_thread(self._unpack, blob, diff_ids[index], chains[index]):
                created.append(chains[index])
            yield layer_message("Extracting", _short(layer), layer.size, layer.size)
            yield layer_message("Pull complete", _short(layer))

    async def _download(
        self, session: RepositorySession, layer: Descriptor
    ) -> AsyncIterator[Message]:
        layer_id = _short(layer)
        if not self.content.has(layer.digest):
            writer = await asyncio.to_thread(self.content.writer, layer.size)
            with writer:
                last = 0.0
                async for chunk in session.stream_blob(layer):
                    await asyncio.to_thread(writer.write, chunk)
                    now = time.monotonic()
                    if now - last >= _PROGRESS_INTERVAL:
                        last = now
                        yield layer_message("Downloading", layer_id, writer.size, layer.size)
                yield layer_message("Verifying Checksum", layer_id)
                await asyncio.to_thread(writer.commit, layer.digest, layer.size)
        else:
            yield layer_message("Verifying Checksum", layer_id)
        yield layer_message("Download complete", layer_id)

    def _unpack(self, blob: Path, diff_id: str, chain_id: str) -> bool:
        staging = self.layers.staging_dir()
        try:
            result = unpack_layer(
                blob, staging / "diff", expected_diff_id=diff_id, limits=self.limits
            )
            return self.layers.commit(staging, chain_id, diff_id, result.size)
        except BaseException:
            self.layers.discard(staging)
            raise

    def _drop_new_layers(self, created: list[str]) -> None:
        for chain_id in created:
            if not self.layer_in_use(chain_id):
                self.layers.remove(chain_id)

    async def _record(
        self,
        reference: Reference,
        resolved: ResolvedImage,
        config_bytes: bytes,
        config: dict[str, Any],
        diff_ids: list[str],
    ) -> str:
        config_digest = resolved.manifest.config.digest
        image_id = await asyncio.to_thread(self.content.put, config_bytes, config_digest)
        await asyncio.to_thread(self.content.put, resolved.manifest_bytes, resolved.manifest_digest)
        size = sum(self.layers.info(c).size for c in chain_ids(diff_ids))
        async with self.store_lock:
            if not self.images.exists(image_id):
                record = ImageRecord(
                    id=image_id, config=config, size=size,
                    created=rfc3339_to_unix(str(config.get("created") or "")),
                    manifest_digest=resolved.digest,
                    layer_digests=tuple(d.digest for d in resolved.manifest.layers),
                )  # fmt: skip
                await asyncio.to_thread(self.images.save, record)
            previous = await asyncio.to_thread(self.images.set_ref, reference, image_id)
            digest_ref = reference.with_digest(resolved.digest)
            await asyncio.to_thread(self.images.set_ref, digest_ref, image_id)
        return "Image is up to date" if previous == image_id else "Downloaded newer image"


def _short(layer: Descriptor) -> str:
    return layer.digest.removeprefix("sha256:")[:12]


def _diff_ids(config: dict[str, Any], layer_count: int) -> list[str]:
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != layer_count:
        raise InvalidArgument(
            f"image config lists {len(diff_ids or [])} diff ids for {layer_count} layers"
        )
    return [validate_digest(str(d)) for d in diff_ids]
