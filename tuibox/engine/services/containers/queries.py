"""Provides ContainerQueries: `docker ps` with filters and sizes, `docker inspect`, TTY lookups."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from tuibox.engine.domain.container import ContainerRecord, status_text
from tuibox.engine.domain.errors import EngineError
from tuibox.engine.layers.changes import ADDED, changes
from tuibox.engine.services.containers import views
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.networking import ContainerNetworking
from tuibox.engine.services.containers.sizes import directory_size
from tuibox.engine.services.containers.views import VolumeDir
from tuibox.engine.services.images.service import ImageService

ETC_MOUNT_POINTS = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")


class ContainerQueries:
    """Answers `docker ps` and `docker inspect` from the container records.

    A listing is streamed from entries encoded once per change of their container, so
    many clients listing many containers cost the engine little time and memory.
    """

    def __init__(
        self, context: ContainerContext, images: ImageService, volume_dir: VolumeDir = str,
        networking: ContainerNetworking | None = None,
    ) -> None:  # fmt: skip
        self.context = context
        self.images = images
        self.volume_dir = volume_dir
        self.networking = networking
        self._encoded: dict[str, tuple[tuple[Any, ...], bytes]] = {}

    def select(
        self,
        *,
        all_containers: bool,
        limit: int | None,
        filters: dict[str, list[str]],
        since: str | None = None,
        before: str | None = None,
    ) -> list[ContainerRecord]:
        """Newest first; without `all` or a positive limit (as `ps -l`) only running ones.

        `since` and `before` (container names or IDs, the old query form of the filters)
        keep those created after or before that container.

        Raises:
            InvalidArgument: an unknown or unsupported filter, or an invalid value.
            NotFound: since/before name no container.
        """
        for key, value in (("since", since), ("before", before)):
            if value:
                filters = {**filters, key: [*filters.get(key, []), value]}
        compiled = views.compile_filters(filters, self.context.lookup, self._image_id)
        records = sorted(self.context.records.values(), key=lambda r: r.created, reverse=True)
        positive_limit = limit is not None and limit > 0
        if not all_containers and not positive_limit and not filters.get("status"):
            records = [r for r in records if r.state.running]
        selected = [r for r in records if views.matches(r, compiled)]
        return selected[:limit] if positive_limit else selected

    def _image_id(self, name: str) -> str | None:
        """The ID of the image a name or ID refers to; None for one this engine lacks."""
        try:
            return self.images.resolve(name).id
        except EngineError:
            return None

    async def encoded_list(
        self, records: list[ContainerRecord], *, sizes: bool
    ) -> AsyncIterator[bytes]:
        """The JSON array of GET /containers/json, in pieces; with `sizes`, SizeRw too."""
        self._forget_removed()
        now = datetime.now(UTC)
        yield b"["
        for index, record in enumerate(records):
            entry = self._encoded_entry(record)
            tail: dict[str, Any] = {"Status": status_text(record.state, now)}
            if sizes:
                tail.update(await self.sizes(record))
            yield (b"," if index else b"") + entry + json.dumps(tail).encode()[1:]
        yield b"]"

    def _encoded_entry(self, record: ContainerRecord) -> bytes:
        """The summary without its time-dependent Status, as an open JSON object."""
        state = record.state
        networking = self.networking
        version = (record.name, state.status, state.exit_code, state.started_at,
                   state.finished_at, networking.version(record) if networking else ())  # fmt: skip
        cached = self._encoded.get(record.id)
        if cached is None or cached[0] != version:
            network = networking.summary_view(record) if networking else ([], {})
            fields = views.summary(record, volume_dir=self.volume_dir, network=network)
            del fields["Status"]
            cached = (version, json.dumps(fields).encode()[:-1] + b", ")
            self._encoded[record.id] = cached
        return cached[1]

    def _forget_removed(self) -> None:
        for container_id in [c for c in self._encoded if c not in self.context.records]:
            del self._encoded[container_id]

    async def sizes(self, record: ContainerRecord) -> dict[str, int]:
        """SizeRw (what the container wrote) and SizeRootFs (that plus its image's layers)."""
        written = await asyncio.to_thread(directory_size, self.context.paths(record.id).upper)
        layers = self.images.layers_size(record.layer_chain)
        return {"SizeRw": written, "SizeRootFs": written + layers}

    def inspect(self, given: str) -> dict[str, Any]:
        """The inspect document.

        Raises:
            NotFound: no such container.
        """
        record = self.context.lookup(given)
        settings = None
        if self.networking is not None:
            key = f"/proc/{record.state.pid}/ns/net" if record.state.running else ""
            settings = self.networking.settings_view(record, key)
        return views.inspect(record, self.context.paths(record.id), self.volume_dir, settings)

    async def sizes_of(self, given: str) -> dict[str, int]:
        """SizeRw and SizeRootFs of a container by name or ID (inspect's `size=1`).

        Raises:
            NotFound: no such container.
        """
        return await self.sizes(self.context.lookup(given))

    async def changes(self, given: str) -> list[dict[str, object]]:
        """`docker diff`: what the container changed against its image.

        Raises:
            NotFound: no such container, or one of its image layers is gone.
        """
        record = self.context.lookup(given)
        lowers = self.images.layer_dirs_for_chains(record.layer_chain)
        upper = self.context.paths(record.id).upper
        found = await asyncio.to_thread(changes, upper, lowers)
        # The runtime makes an empty mount point for each mount; they are not the user's.
        points = {*ETC_MOUNT_POINTS, *(mount.destination for mount in record.mounts)}
        return [c for c in found if not (c["Kind"] == ADDED and c["Path"] in points)]

    def has_tty(self, given: str) -> bool:
        return bool(self.context.lookup(given).config.get("Tty"))
