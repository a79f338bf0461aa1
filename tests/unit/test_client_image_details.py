"""The client's image detail calls over httpx.MockTransport: parsing, and an engine without
the layer report (dockerd answers 404 "page not found" with its own Server header)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tuibox.client import EngineClient, NotFoundError
from tuibox.client.image_details import ImageConfig

REPORT = {
    "id": "sha256:1", "size": 30, "wasted_bytes": 10, "efficiency": 2 / 3,
    "wasted_file_count": 1,
    "wasted_files": [{"path": "/a", "copies": 2, "total_bytes": 20, "wasted_bytes": 10}],
    "layers": [{"index": 0, "diff_id": "sha256:d", "chain_id": "sha256:d", "created_by": "ADD",
                "size": 30, "entry_count": 1, "truncated": False,
                "entries": [{"path": "/a", "kind": "file", "size": 10, "mode": 420, "uid": 0,
                             "gid": 0, "change": "added"}]}],
}  # fmt: skip


Answers = dict[str, tuple[int, Any]]


def client(server: str, answers: Answers, seen: list[httpx.Request]) -> EngineClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"Api-Version": "1.44", "Server": server, "Content-Type": "application/json"}
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=headers, content=b"OK")
        status, body = answers.get(request.url.path, (404, {"message": "page not found"}))
        return httpx.Response(status, headers=headers, content=json.dumps(body).encode())

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler))


async def test_the_layer_report_is_read_from_tuibox_s_own_path() -> None:
    seen: list[httpx.Request] = []
    engine = client("tuibox/0.1.0 (linux)",
                    {"/tuibox/v1/images/team/app:1/layers": (200, REPORT)}, seen)  # fmt: skip
    report = await engine.image_layers("team/app:1")
    assert report is not None
    assert (report.size, report.wasted_bytes) == (30, 10)
    assert report.efficiency == pytest.approx(2 / 3)
    assert report.wasted_files[0].copies == 2
    (layer,) = report.layers
    entry = layer.entries[0]
    assert (layer.created_by, entry.path, entry.change) == ("ADD", "/a", "added")
    assert seen[-1].url.params["limit"] == "20000"
    await engine.close()


async def test_an_engine_without_the_endpoint_gives_none_and_tuibox_s_not_found_raises() -> None:
    docker = client("Docker/28.0.1 (linux)", {}, [])
    assert await docker.image_layers("busybox") is None
    await docker.close()
    tuibox = client("tuibox/0.1.0 (linux)", {"/tuibox/v1/images/nope/layers": (
        404, {"message": "No such image: nope:latest"})}, [])  # fmt: skip
    with pytest.raises(NotFoundError, match="No such image: nope:latest"):
        await tuibox.image_layers("nope")
    await tuibox.close()


async def test_history_and_config_are_parsed_from_docker_s_json() -> None:
    inspect = {"Id": "sha256:1", "Config": {"Entrypoint": None, "Cmd": ["sh"], "Env": ["A=1"],
               "ExposedPorts": {"80/tcp": {}}, "Volumes": None, "Labels": {"b": "2", "a": "1"},
               "WorkingDir": "", "User": "app"}}  # fmt: skip
    history = [{"Created": 5, "CreatedBy": "RUN x", "Size": 7, "Comment": "c", "Id": "<missing>"}]
    engine = client("Docker/28.0.1 (linux)", {"/v1.44/images/busybox/json": (200, inspect),
                                              "/v1.44/images/busybox/history": (200, history)},
                    [])  # fmt: skip
    config = ImageConfig.from_inspect(await engine.inspect_image("busybox"))
    assert config == ImageConfig(
        entrypoint=(), cmd=("sh",), env=("A=1",), exposed_ports=("80/tcp",), volumes=(),
        labels=(("a", "1"), ("b", "2")), working_dir="", user="app",
    )  # fmt: skip
    (entry,) = await engine.image_history("busybox")
    assert (entry.created, entry.created_by, entry.size, entry.comment) == (5, "RUN x", 7, "c")
    await engine.close()
