"""`docker events --filter network=...` and `type=network` on the fakes, as dockerd filters."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine

Client = TestClient[Any, Any]


async def _events(api: Client, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Every event so far that passes `filters` (replayed from the start; the stream ends)."""
    response = await api.get("/events", params={
        "since": "0", "until": f"{time.time():.9f}", "filters": json.dumps(filters),
    })  # fmt: skip
    assert response.status == 200, await response.text()
    return [json.loads(line) for line in (await response.text()).splitlines()]


async def _life_on_front(api: Client, engine: Engine) -> tuple[str, str]:
    """Networks front and back; a container runs on front, stops and goes; front goes.
    Returns front's ID and the container's."""
    for name in ("front", "back"):
        response = await api.post("/networks/create", json={"Name": name})
        assert response.status == 201, await response.text()
        if name == "front":
            front_id = (await response.json())["Id"]
    created = await api.post("/containers/create", json={
        "Image": "busybox", "Cmd": ["sleep", "300"], "HostConfig": {"NetworkMode": "front"},
    })  # fmt: skip
    container_id = (await created.json())["Id"]
    assert (await api.post(f"/containers/{container_id}/start")).status == 204
    assert (await api.post(f"/containers/{container_id}/stop", params={"t": "0"})).status == 204
    await engine.settle()
    assert (await api.delete(f"/containers/{container_id}")).status == 204
    assert (await api.delete("/networks/front")).status == 204
    return front_id, container_id


async def test_network_filter_keeps_that_networks_events_by_name_or_id(
    api: Client, engine: Engine
) -> None:
    front_id, container_id = await _life_on_front(api, engine)
    by_name = await _events(api, {"network": ["front"]})
    assert [(e["Type"], e["Action"]) for e in by_name] == [
        ("network", "create"), ("network", "connect"), ("network", "disconnect"),
        ("network", "destroy"),
    ]  # fmt: skip
    assert {e["Actor"]["ID"] for e in by_name} == {front_id}
    assert by_name[1]["Actor"]["Attributes"] == {
        "name": "front", "type": "bridge", "container": container_id
    }
    assert await _events(api, {"network": [front_id[:12]]}) == by_name
    assert await _events(api, {"network": ["fro"]}) == by_name  # a prefix, as dockerd's
    both = await _events(api, {"network": ["front", "back"], "event": ["create"]})
    assert [e["Actor"]["Attributes"]["name"] for e in both] == ["front", "back"]


async def test_a_network_filter_passes_no_container_event(api: Client, engine: Engine) -> None:
    _, container_id = await _life_on_front(api, engine)
    assert await _events(api, {"network": [container_id]}) == []
    assert await _events(api, {"network": ["nothing-such"]}) == []


async def test_type_network_keeps_only_network_events(api: Client, engine: Engine) -> None:
    await _life_on_front(api, engine)
    events = await _events(api, {"type": ["network"]})
    assert {e["Type"] for e in events} == {"network"}
    assert [(e["Actor"]["Attributes"]["name"], e["Action"]) for e in events] == [
        ("front", "create"), ("back", "create"), ("front", "connect"), ("front", "disconnect"),
        ("front", "destroy"),
    ]  # fmt: skip
    containers = await _events(api, {"type": ["container"]})
    assert containers and {e["Type"] for e in containers} == {"container"}
