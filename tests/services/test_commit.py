"""docker commit on the fakes: POST /commit through the real routes and image stores."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine

Client = TestClient[Any, Any]


def layer_dirs(engine: Engine) -> set[str]:
    return set(engine.services.images.layers.chain_ids())


async def commit(api: Client, cid: str, body: Any = None, **query: Any) -> Any:
    params: Any = [("container", cid), *((k, v) for k, v in query.items() if k != "changes"),
                   *(("changes", c) for c in query.get("changes", []))]  # fmt: skip
    return await api.post("/commit", params=params, json=body)


async def test_a_commit_makes_an_image_of_the_image_layers_and_the_upper_dir(
    engine: Engine, api: Client
) -> None:
    cid = await engine.run("sleep", "300", Env=["FROM_RUN=1"])
    (engine.context.paths(cid).upper / "hello").write_bytes(b"hi\n")
    response = await commit(api, cid, {"Labels": {"by": "test"}}, repo="img", tag="1",
                            comment="msg", author="me",
                            changes=['CMD ["cat","/hello"]'])  # fmt: skip
    assert response.status == 201, await response.text()
    image_id = (await response.json())["Id"]
    inspect = await (await api.get("/images/img:1/json")).json()
    assert inspect["Id"] == image_id
    assert (inspect["Author"], inspect["Comment"], inspect["Container"]) == ("me", "msg", cid)
    assert inspect["Config"]["Cmd"] == ["cat", "/hello"]
    assert inspect["Config"]["Labels"] == {"by": "test"}
    assert "FROM_RUN=1" in inspect["Config"]["Env"]
    busybox = engine.services.images.resolve("busybox")
    assert inspect["RootFS"]["Layers"][:-1] == busybox.diff_ids
    top = engine.services.images.resolve("img:1").chain_ids[-1]
    assert (engine.services.images.layers.diff_dir(top) / "hello").read_bytes() == b"hi\n"
    record = engine.services.images.resolve("img:1")
    assert record.config["history"][-1]["comment"] == "msg"
    assert engine.actions(cid)[-3:] == ["pause", "unpause", "commit"]
    listed = await (await api.get("/images/json")).json()
    assert any("img:1" in summary["RepoTags"] for summary in listed)


async def test_the_image_can_be_removed_with_its_new_layer(engine: Engine, api: Client) -> None:
    cid = await engine.run("sleep", "300")
    before = layer_dirs(engine)
    (engine.context.paths(cid).upper / "f").write_bytes(b"x")
    await commit(api, cid, repo="gone")
    assert len(layer_dirs(engine) - before) == 1
    assert (await api.delete("/images/gone")).status == 200
    assert layer_dirs(engine) == before


async def test_an_unchanged_container_adds_no_layer_only_an_empty_history_entry(
    engine: Engine, api: Client
) -> None:
    cid = await engine.create("sleep", "300")
    response = await commit(api, cid, repo="same")
    assert response.status == 201
    record = engine.services.images.resolve("same")
    assert record.diff_ids == engine.services.images.resolve("busybox").diff_ids
    assert record.config["history"][-1]["empty_layer"] is True
    assert "pause" not in engine.actions(cid)


async def test_pause_false_leaves_the_container_running(engine: Engine, api: Client) -> None:
    cid = await engine.run("sleep", "300")
    assert (await commit(api, cid, repo="live", pause="0")).status == 201
    assert "pause" not in engine.actions(cid)


@pytest.mark.parametrize(
    ("query", "body", "words"),
    [
        ({"changes": ["RUN ls"]}, None, "run is not a valid change command"),
        ({"changes": ["ONBUILD FROM x"]}, None, "FROM isn't allowed as an ONBUILD trigger"),
        ({"changes": ["STOPSIGNAL NOPE"]}, None, "Invalid signal"),
        ({"changes": ["HEALTHCHECK --interval=soon CMD true"]}, None, "invalid duration"),
        ({"repo": "bad repo"}, None, "invalid reference format"),
        ({"repo": "x@sha256:" + "a" * 64}, None, "cannot commit to digest reference"),
        ({"tag": "1"}, None, "tag given without a repository"),
        ({"bogus": "1"}, None, "unknown query parameter for POST /commit: bogus"),
        ({}, {"Cmd": "ls"}, "Config.Cmd must be a list of strings"),
        ({}, {"Memory": 5}, "unknown field in the commit Config: Memory"),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_and_nothing_is_created(
    engine: Engine, api: Client, query: dict[str, Any], body: Any, words: str
) -> None:
    cid = await engine.run("sleep", "300")
    (engine.context.paths(cid).upper / "f").write_bytes(b"x")
    before, images = layer_dirs(engine), engine.services.images.images.ids()
    response = await commit(api, cid, body, **query)
    assert response.status == 400
    assert words in (await response.json())["message"]
    assert layer_dirs(engine) == before and engine.services.images.images.ids() == images
    assert "pause" not in engine.actions(cid)


async def test_a_missing_container_is_a_404(api: Client) -> None:
    response = await api.post("/commit", params={"container": "nothing"})
    assert response.status == 404
    assert (await response.json())["message"] == "No such container: nothing"
