"""Provides ImageCommitter: a layer tar from a container becomes a new image on top of its own.

The tar is unpacked by the same code and checks as a pulled layer (its diff ID verified
against the bytes written), committed to the layer store by rename, then the config blob
and the record are written under the store lock; a failure removes what was added.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.domain.reference import Reference
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer
from tuibox.engine.services.images.retention import Retention
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore


@dataclass(frozen=True)
class NewLayer:
    """A container's changes written as a tar in the layer store's staging dir."""

    staging: Path
    tar: Path
    diff_id: str
    entries: int


class ImageCommitter:
    """Shares the image service's stores, store lock and retention."""

    def __init__(
        self,
        stores: tuple[ContentStore, LayerStore, ImageStore],
        store_lock: asyncio.Lock,
        retention: Retention,
        limits: UnpackLimits,
    ) -> None:
        self.content, self.layers, self.images = stores
        self.store_lock = store_lock
        self.retention = retention
        self.limits = limits

    def staging_dir(self) -> Path:
        """Where a commit writes its tar and unpacks it (removed at start after a crash)."""
        return self.layers.staging_dir()

    def discard(self, staging: Path) -> None:
        self.layers.discard(staging)

    async def record(
        self, layer: NewLayer, parent_diff_ids: list[str], config: dict[str, Any],
        target: Reference | None,
    ) -> str:  # fmt: skip
        """Store the layer (unless empty) and the image whose config is `config` (its rootfs
        filled in here); returns the image ID. The staging dir is gone afterwards.

        Raises:
            InvalidArgument: the tar does not unpack to the diff ID it was written with.
        """
        diff_ids = [*parent_diff_ids, *([layer.diff_id] if layer.entries else [])]
        config = {**config, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
        chain = chain_ids(diff_ids)[-1] if diff_ids else None
        try:
            size = await asyncio.to_thread(self._unpack, layer) if layer.entries else 0
        except BaseException:
            await asyncio.to_thread(self.layers.discard, layer.staging)
            raise
        async with self.store_lock:
            created = False
            try:
                if layer.entries and chain is not None:
                    created = await asyncio.to_thread(self.layers.commit, layer.staging, chain,
                                                      layer.diff_id, size)  # fmt: skip
                else:
                    await asyncio.to_thread(self.layers.discard, layer.staging)
                return await asyncio.to_thread(self._save, config_bytes, diff_ids, target)
            except BaseException:
                await asyncio.to_thread(self.layers.discard, layer.staging)
                if created and chain is not None:
                    keep = self.retention.keep()
                    await asyncio.to_thread(self.retention.prune, [chain], [], keep)
                raise

    def _unpack(self, layer: NewLayer) -> int:
        result = unpack_layer(layer.tar, layer.staging / "diff",
                              expected_diff_id=layer.diff_id, limits=self.limits)  # fmt: skip
        layer.tar.unlink()
        return result.size

    def _save(self, config_bytes: bytes, diff_ids: list[str], target: Reference | None) -> str:
        """The config blob, the record and the tag (in a worker thread, under the lock)."""
        image_id = self.content.put(config_bytes)
        if not self.images.exists(image_id):
            size = sum(self.layers.info(chain).size for chain in chain_ids(diff_ids))
            self.images.save(ImageRecord(
                id=image_id, config=json.loads(config_bytes), size=size,
                created=int(datetime.now(UTC).timestamp()),
            ))  # fmt: skip
        if target is not None:
            self.images.set_ref(target, image_id)
        return image_id
