"""GET /images/{name}/history through the real routes: committed images, names with `/`."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tests.unit.fake_registry import layer_tar

Client = TestClient[Any, Any]


async def commit(api: Client, cid: str, **query: str) -> str:
    response = await api.post("/commit", params={"container": cid, **query})
    assert response.status == 201, await response.text()
    return str((await response.json())["Id"])


async def test_a_committed_image_shows_its_layer_on_top_of_the_parents_history(
    engine: Engine, api: Client
) -> None:
    rootfs = layer_tar({"bin/busybox": b"\x7fELF", "etc/passwd": b"root:x:0:0::/:/bin/sh\n"})
    imported = await api.post("/images/create", params={"fromSrc": "-", "repo": "base"},
                              data=rootfs)  # fmt: skip
    assert imported.status == 200, await imported.text()
    base_chain = engine.services.images.resolve("base").chain_ids[-1]
    cid = await engine.run("sleep", "300", Image="base")
    (engine.context.paths(cid).upper / "hello").write_bytes(b"hi\n" * 1000)
    first = await commit(api, cid, repo="img", tag="1", comment="with hello")
    top_chain = engine.services.images.resolve(first).chain_ids[-1]
    second = await commit(api, await engine.run("sleep", "301", Image="img:1"), repo="img",
                          tag="2", comment="unchanged")  # fmt: skip
    response = await api.get("/images/img:2/history")
    assert response.status == 200
    entries = await response.json()
    assert [(e["Id"], e["Tags"], e["Comment"], e["CreatedBy"]) for e in entries] == [
        (second, ["img:2"], "unchanged", "sleep 301"),
        ("<missing>", None, "with hello", "sleep 300"),
        ("<missing>", None, "Imported from -", ""),
    ]
    sizes = [engine.services.images.layers.info(c).size for c in (top_chain, base_chain)]
    assert [e["Size"] for e in entries] == [0, *sizes]
    assert sizes[0] >= 3000
    assert (await (await api.get("/images/img:1/history")).json())[0]["Id"] == first


async def test_a_name_holding_history_is_an_image_name_not_the_route(
    engine: Engine, api: Client
) -> None:
    cid = await engine.run("sleep", "300")
    image_id = await commit(api, cid, repo="x/history")
    response = await api.get("/images/x/history/history")
    assert response.status == 200
    assert (await response.json())[0]["Tags"] == ["x/history:latest"]
    assert (await (await api.get("/images/x/history/json")).json())["Id"] == image_id
    missing = await api.get("/images/x/history")
    assert missing.status == 404
    assert (await missing.json())["message"] == "No such image: x:latest"


async def test_unknown_query_parameters_and_bad_platforms_are_refused(api: Client) -> None:
    response = await api.get("/images/busybox/history", params={"all": "1"})
    assert response.status == 400
    assert (await response.json())["message"] == (
        "unknown query parameter for GET /images/{name}/history: all"
    )
    bad = await api.get("/images/busybox/history", params={"platform": '{"os":"linux"}'})
    assert bad.status == 400
    assert (await bad.json())["message"] == "both OS and Architecture must be provided"
    other = await api.get("/images/busybox/history",
                          params={"platform": '{"os":"linux","architecture":"s390x"}'})  # fmt: skip
    assert other.status == 404
    assert "does not match the specified platform: wanted linux/s390x" in (
        await other.json())["message"]  # fmt: skip
