"""GET /tuibox/v1/images/{name}/layers through the real routes: pulled and committed images."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import GROUP, PASSWD, Engine

Client = TestClient[Any, Any]
ROUTE = "/tuibox/v1/images/{}/layers"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="a whiteout in the upper dir needs root (mknod)",
)


async def layers(api: Client, name: str, **query: str) -> dict[str, Any]:
    response = await api.get(ROUTE.format(name), params=query)
    assert response.status == 200, await response.text()
    assert response.content_type == "application/json"
    document: dict[str, Any] = await response.json()
    return document


async def test_a_pulled_image_lists_its_one_layer_all_added(api: Client) -> None:
    document = await layers(api, "busybox")
    (layer,) = document["layers"]
    assert {e["path"]: e["change"] for e in layer["entries"]} == {
        "/bin": "added", "/bin/busybox": "added", "/etc": "added",
        "/etc/group": "added", "/etc/passwd": "added",
    }  # fmt: skip
    assert layer["size"] == document["size"] == 4 + len(PASSWD) + len(GROUP)
    assert (document["wasted_bytes"], document["efficiency"], document["wasted_files"]) == (
        0, 1.0, [])  # fmt: skip


@needs_root
async def test_a_committed_image_shows_what_it_removed_and_overwrote(
    engine: Engine, api: Client
) -> None:
    cid = await engine.run("sleep", "300")
    upper = engine.context.paths(cid).upper
    (upper / "etc").mkdir()
    (upper / "etc/passwd").write_bytes(b"root:x:0:0::/:/bin/sh\n")
    os.mknod(upper / "etc/group", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    (upper / "notes").write_bytes(b"n" * 10)
    committed = await api.post("/commit", params={"container": cid, "repo": "changed"})
    assert committed.status == 201, await committed.text()
    document = await layers(api, "changed")
    base, top = document["layers"]
    assert (base["created_by"], top["created_by"]) == ("", "sleep 300")
    assert {e["path"]: e["change"] for e in top["entries"]} == {
        "/etc": "modified", "/etc/group": "removed", "/etc/passwd": "modified", "/notes": "added",
    }  # fmt: skip
    assert document["wasted_bytes"] == len(PASSWD) + len(GROUP)
    assert document["wasted_files"] == [
        {"path": "/etc/passwd", "copies": 2, "total_bytes": len(PASSWD) + 22,
         "wasted_bytes": len(PASSWD)},
        {"path": "/etc/group", "copies": 1, "total_bytes": len(GROUP), "wasted_bytes": len(GROUP)},
    ]  # fmt: skip
    assert top["size"] == 22 + 10


async def test_limit_and_path_narrow_the_entries_and_say_so(api: Client) -> None:
    (layer,) = (await layers(api, "busybox", limit="1", path="/etc/"))["layers"]
    assert [e["path"] for e in layer["entries"]] == ["/etc"]
    assert (layer["entry_count"], layer["truncated"]) == (3, True)
    (everything,) = (await layers(api, "busybox", path="/"))["layers"]
    assert (everything["entry_count"], everything["truncated"]) == (5, False)
    (normalized,) = (await layers(api, "busybox", path="//bin/./"))["layers"]
    assert [e["path"] for e in normalized["entries"]] == ["/bin", "/bin/busybox"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limits": "5"}, f"unknown query parameter for GET {ROUTE.format('{name}')}: limits"),
        ({"limit": "0"}, "invalid value for limit: 0 is not in 1..100000"),
        ({"limit": "many"}, "invalid value for limit: 'many' is not an integer"),
        ({"path": "etc"}, "invalid value for path: 'etc' is not an absolute path"),
    ],
)
async def test_a_bad_query_is_refused_by_name(
    api: Client, query: dict[str, str], message: str
) -> None:
    response = await api.get(ROUTE.format("busybox"), params=query)
    assert response.status == 400
    assert (await response.json())["message"] == message


async def test_an_unknown_image_is_docker_s_not_found(api: Client) -> None:
    response = await api.get(ROUTE.format("nope:1"))
    assert response.status == 404
    assert (await response.json())["message"] == "No such image: nope:1"


async def test_a_missing_layer_is_not_found_not_a_crash(engine: Engine, api: Client) -> None:
    chain_id = engine.services.images.resolve("busybox").chain_ids[0]
    engine.services.images.layers.remove(chain_id)
    response = await api.get(ROUTE.format("busybox"))
    assert response.status == 404
    assert "is missing from the layer store" in (await response.json())["message"]
