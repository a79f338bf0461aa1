"""Provides DiskUsage: GET /system/df, what images, containers and volumes take on disk."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.queries import ContainerQueries
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.services.volumes.service import VolumeService

OBJECT_TYPES = ("container", "image", "volume", "build-cache")


class DiskUsage:
    """dockerd's DiskUsage document; `type` (API 1.42+) limits it to some object types.

    The engine has no builder, so BuildCache is always an empty list.
    """

    def __init__(
        self, images: ImageService, containers: ContainerQueries, volumes: VolumeService,
        volume_users: Callable[[str], list[str]],
    ) -> None:  # fmt: skip
        self.images = images
        self.containers = containers
        self.volumes = volumes
        self.volume_users = volume_users

    async def report(self, types: list[str]) -> dict[str, Any]:
        """Every object type unless `types` names some; the others are null, as dockerd.

        Raises:
            InvalidArgument: dockerd's "unknown object type: x".
        """
        for kind in types:
            if kind not in OBJECT_TYPES:
                raise InvalidArgument(f"unknown object type: {kind[:64]}")
        wanted = set(types or OBJECT_TYPES)
        result: dict[str, Any] = {"LayersSize": 0, "Images": None, "Containers": None,
                                  "Volumes": None, "BuildCache": None}  # fmt: skip
        if "image" in wanted:
            result["Images"] = await self.images.list_images(False, {}, shared_size=True)
            layers = self.images.layers
            result["LayersSize"] = sum(layers.info(c).size for c in layers.chain_ids()
                                       if layers.has(c))  # fmt: skip
        if "container" in wanted:
            result["Containers"] = await self._containers()
        if "volume" in wanted:
            result["Volumes"] = await self._volumes()
        if "build-cache" in wanted:
            result["BuildCache"] = []
        return result

    async def _containers(self) -> list[dict[str, Any]]:
        records = self.containers.select(all_containers=True, limit=None, filters={})
        pieces = [p async for p in self.containers.encoded_list(records, sizes=True)]
        listed: list[dict[str, Any]] = json.loads(b"".join(pieces))
        return listed

    async def _volumes(self) -> list[dict[str, Any]]:
        volumes = []
        for view in self.volumes.list_volumes({})["Volumes"]:
            name = view["Name"]
            size = await asyncio.to_thread(self.volumes.store.size, name)
            usage = {"Size": size, "RefCount": len(self.volume_users(name))}
            volumes.append({**view, "UsageData": usage})
        return volumes
