"""Provides ImageDetailCalls: image inspect, history and tuibox's layer report."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tuibox.client.call_base import EngineCalls
from tuibox.client.errors import NotFoundError
from tuibox.client.image_details import HistoryEntry, LayerReport
from tuibox.client.responses import json_body, parse_list, parse_object

TUIBOX_SERVER = "tuibox/"
"""How tuibox's engine starts its Server header; another engine lacks the layer report."""
LAYER_LIMIT = 20_000
"""Entries asked for per layer; a layer with more says it was cut (`truncated`)."""


class ImageDetailCalls(EngineCalls):
    """What the image detail screen reads (a mixin of EngineClient)."""

    async def inspect_image(self, name: str) -> dict[str, Any]:
        """GET /images/{name}/json, returned as the engine's raw JSON object."""
        response = await self._call("GET", f"/images/{quote(name, safe='/:@')}/json")
        return dict(json_body(response, dict))

    async def image_history(self, name: str) -> list[HistoryEntry]:
        """GET /images/{name}/history: one row per history entry, newest first."""
        response = await self._call("GET", f"/images/{quote(name, safe='/:@')}/history")
        return parse_list(response, HistoryEntry.from_json)

    async def image_layers(self, name: str) -> LayerReport | None:
        """tuibox's GET /tuibox/v1/images/{name}/layers; None from an engine without it.

        Raises:
            NotFoundError: tuibox's engine has no such image (or lost one of its layers).
        """
        path = f"/tuibox/v1/images/{quote(name, safe='/:@')}/layers"
        try:
            response = await self._send("GET", path, params={"limit": str(LAYER_LIMIT)})
        except NotFoundError:
            ping = await self._send("GET", "/_ping")
            if ping.headers.get("server", "").startswith(TUIBOX_SERVER):
                raise
            return None  # dockerd and podman answer "page not found" for a route they lack
        return parse_object(response, LayerReport.from_json)
