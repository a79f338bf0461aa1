"""Provides NetworkCalls: `docker network connect` and `disconnect` as the docker CLI sends them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from tuibox.client.call_base import EngineCalls


class NetworkCalls(EngineCalls):
    """Attach containers to networks and detach them (a mixin of EngineClient)."""

    async def connect_network(
        self, network_id: str, container: str, *, aliases: Sequence[str] = (), ipv4: str = ""
    ) -> None:
        """POST /networks/{id}/connect: `--alias` each of `aliases`, `--ip ipv4` when given."""
        endpoint: dict[str, Any] = {"Aliases": list(aliases)}
        if ipv4:
            endpoint["IPAMConfig"] = {"IPv4Address": ipv4}
        await self._call("POST", f"/networks/{quote(network_id, safe='')}/connect",
                         json={"Container": container, "EndpointConfig": endpoint})  # fmt: skip

    async def disconnect_network(
        self, network_id: str, container: str, force: bool = False
    ) -> None:
        """POST /networks/{id}/disconnect (`-f`: force)."""
        await self._call("POST", f"/networks/{quote(network_id, safe='')}/disconnect",
                         json={"Container": container, "Force": force})  # fmt: skip
