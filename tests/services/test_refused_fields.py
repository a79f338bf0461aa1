"""Every create field the engine does not honour yet is refused by flag, leaving nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.captured_bodies import CAPTURED
from tests.services.conftest import Engine
from tuibox.engine.services.containers.rules.fields import (
    NOT_YET,
    UNSET_VALUES,
    canonical_body,
    is_unset,
)

NO_CLIENT_SENDS = {
    "HostConfig.Cgroup": "container:other",
    "HostConfig.KernelMemoryTCP": 1 << 20,
    "HostConfig.IOMaximumIOps": 100,
    "HostConfig.IOMaximumBandwidth": 1 << 20,
}
"""Fields no captured client sets with a flag; a value as the API documents it."""


def _at(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _is_asked(path: str, value: Any) -> bool:
    if path in UNSET_VALUES:
        return not any(value == u and type(value) is type(u) for u in UNSET_VALUES[path])
    return not is_unset(value, path)


def sample_value(path: str) -> Any:
    """The value a real client sent for the field, or a documented one."""
    for cases in CAPTURED.values():
        for captured in cases.values():
            value = _at(canonical_body(captured["body"]), path)
            if _is_asked(path, value):
                return value
    return NO_CLIENT_SENDS[path]


def body_with(path: str, value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Image": "busybox", "Cmd": ["true"]}
    section, _, key = path.rpartition(".")
    (body.setdefault(section, {}) if section else body)[key] = value
    return body


@pytest.mark.parametrize("path", sorted(NOT_YET))
async def test_a_create_with_a_refused_field_fails_by_flag_and_leaves_nothing(
    engine: Engine, api: TestClient[Any, Any], path: str
) -> None:
    dirs_before = set(engine.store.root.iterdir())
    body = body_with(path, sample_value(path))
    response = await api.post("/containers/create?name=refused", json=body)
    assert response.status == 400
    assert response.content_type == "application/json"
    message = (await response.json())["message"]
    flags = [NOT_YET[path]]
    assert any(message.startswith(flag) for flag in flags), message
    assert "not supported by the tuibox engine" in message
    assert not engine.context.records
    assert not engine.store.saved
    assert set(engine.store.root.iterdir()) == dirs_before
    engine.actions("")  # gathers every event published so far into engine.events
    assert not [e.action for e in engine.events if e.type == "container"]
    listing = await api.get("/containers/json", params={"all": "1"})
    assert await listing.json() == []


@pytest.mark.parametrize("client", sorted(CAPTURED))
async def test_a_create_with_no_options_works_for_every_client(
    engine: Engine, api: TestClient[Any, Any], client: str
) -> None:
    baseline = dict(CAPTURED[client]["baseline"]["body"])
    baseline["Cmd"] = ["true"]
    created = await api.post("/containers/create", json=baseline)
    assert created.status == 201, await created.text()
    container_id = (await created.json())["Id"]
    started = await api.post(f"/containers/{container_id}/start")
    assert started.status == 204
    waited = await api.post(f"/containers/{container_id}/wait")
    assert await waited.json() == {"StatusCode": 0}
