"""RefusedRegistryCalls: the registry, pull/push and network-connect calls a bench engine does
not serve (each refuses as an engine without the route would)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from tuibox.client.errors import NotImplementedByEngineError
from tuibox.client.image_calls import PruneResult
from tuibox.client.image_details import HistoryEntry, LayerReport
from tuibox.client.progress import ProgressEvent
from tuibox.client.registries import CatalogPage, RegistryState, TagPage


def _refused(what: str) -> NotImplementedByEngineError:
    return NotImplementedByEngineError(f"the bench engine does not {what}", 501)


class RefusedRegistryCalls:
    """The EngineClientProtocol calls the benches never make; each one refuses."""

    async def connect_network(
        self, network_id: str, container: str, *, aliases: Sequence[str] = (), ipv4: str = ""
    ) -> None:
        raise _refused("connect networks")

    async def disconnect_network(self, network_id: str, container: str,
                                 force: bool = False) -> None:  # fmt: skip
        raise _refused("disconnect networks")

    async def pull_image(
        self, reference: str, platform: str | None = None
    ) -> AsyncIterator[ProgressEvent]:
        raise _refused("pull")
        yield ProgressEvent()  # an async generator, as the protocol's

    async def push_image(self, reference: str) -> AsyncIterator[ProgressEvent]:
        raise _refused("push")
        yield ProgressEvent()

    async def tag_image(self, source: str, target: str) -> None:
        raise _refused("tag")

    async def prune_images(self, all: bool = False) -> PruneResult:
        raise _refused("prune images")

    async def login(self, server: str, username: str, password: str) -> str:
        raise _refused("log in")

    async def logout(self, server: str) -> None:
        raise _refused("log out")

    async def list_registries(self) -> list[RegistryState] | None:
        return None

    async def registry_catalog(self, host: str, last: str | None = None,
                               n: int = 100) -> CatalogPage:  # fmt: skip
        raise _refused("browse registries")

    async def registry_tags(self, host: str, repository: str, last: str | None = None,
                            n: int = 100) -> TagPage:  # fmt: skip
        raise _refused("browse registries")

    async def inspect_image(self, name: str) -> dict[str, Any]:
        raise _refused("inspect images")

    async def image_history(self, name: str) -> list[HistoryEntry]:
        raise _refused("show image history")

    async def image_layers(self, name: str) -> LayerReport | None:
        return None
