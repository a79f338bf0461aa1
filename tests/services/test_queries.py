"""`docker ps` and inspect answers: sizes on request, entries that follow every state change."""

from __future__ import annotations

import os
from typing import Any

from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tuibox.engine.services.containers.sizes import directory_size


async def test_ps_with_size_reports_what_the_container_wrote(
    engine: Engine, api: TestClient[Any, Any]
) -> None:
    container_id = await engine.create("true")
    upper = engine.context.paths(container_id).upper
    (upper / "data.bin").write_bytes(b"x" * 5000)
    listing = await (await api.get("/containers/json", params={"all": "1", "size": "1"})).json()
    (entry,) = listing
    layers = engine.services.images.layers_size(engine.record(container_id).layer_chain)
    assert entry["SizeRw"] == 5000
    assert entry["SizeRootFs"] == 5000 + layers and layers > 0
    plain = await (await api.get("/containers/json", params={"all": "1"})).json()
    assert "SizeRw" not in plain[0]


async def test_inspect_with_size(engine: Engine, api: TestClient[Any, Any]) -> None:
    container_id = await engine.create("true")
    (engine.context.paths(container_id).upper / "f").write_bytes(b"abc")
    sized = await (await api.get(f"/containers/{container_id}/json?size=1")).json()
    assert sized["SizeRw"] == 3
    plain = await (await api.get(f"/containers/{container_id}/json")).json()
    assert "SizeRw" not in plain


async def test_a_listing_follows_each_change_of_state(
    engine: Engine, api: TestClient[Any, Any]
) -> None:
    container_id = await engine.create("sleep", "300", name="web")

    async def state() -> tuple[str, str]:
        (entry,) = await (await api.get("/containers/json", params={"all": "1"})).json()
        return entry["State"], entry["Status"]

    assert await state() == ("created", "Created")
    await engine.services.containers.lifecycle.start(container_id)
    assert (await state())[0] == "running"
    assert (await state())[1].startswith("Up ")
    await engine.services.containers.lifecycle.kill(container_id, None)
    await engine.settle()
    assert (await state())[0] == "exited"
    assert (await state())[1].startswith("Exited (137) ")
    await engine.services.containers.removal.remove(container_id, force=False)
    assert await (await api.get("/containers/json", params={"all": "1"})).json() == []


async def test_listing_entries_are_encoded_once_per_change(engine: Engine) -> None:
    queries = engine.services.containers.queries
    container_id = await engine.create("true")
    record = engine.record(container_id)
    first = queries._encoded_entry(record)
    assert queries._encoded_entry(record) is first
    record.state.exit_code = 3
    assert queries._encoded_entry(record) is not first


async def test_removing_a_link_is_refused(engine: Engine, api: TestClient[Any, Any]) -> None:
    container_id = await engine.create("true")
    response = await api.delete(f"/containers/{container_id}", params={"link": "1"})
    assert response.status == 400
    assert "links are not supported" in (await response.json())["message"]
    assert container_id in engine.context.records
    removed = await api.delete(f"/containers/{container_id}", params={"v": "1"})
    assert removed.status == 204


async def test_images_shared_size_on_request(engine: Engine, api: TestClient[Any, Any]) -> None:
    listed = await (await api.get("/images/json")).json()
    assert [image["SharedSize"] for image in listed] == [-1]
    shared = await (await api.get("/images/json", params={"shared-size": "1"})).json()
    assert [image["SharedSize"] for image in shared] == [0]


def test_directory_size_counts_hard_links_once_and_never_follows_links(tmp_path: Any) -> None:
    (tmp_path / "a").write_bytes(b"1234")
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c").write_bytes(b"12")
    os.symlink("/etc", tmp_path / "sub" / "escape")
    assert directory_size(tmp_path) == 4 + 2 + len("/etc")
