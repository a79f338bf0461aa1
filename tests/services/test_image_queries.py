"""The image routes refuse a query parameter they would not honour, naming it, and take
what the docker CLI and docker-py send (docker-py's `only_ids` and `force` among them)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.unit.fake_registry import layer_tar

Client = TestClient[Any, Any]


async def imported(api: Client, repo: str) -> list[str]:
    """Import a one-file image as `repo`; every local tag afterwards."""
    response = await api.post("/images/create", params={"fromSrc": "-", "repo": repo},
                              data=layer_tar({"hello": b"hi\n"}))  # fmt: skip
    assert response.status == 200, await response.text()
    return await tags(api)


async def tags(api: Client) -> list[str]:
    listed = await (await api.get("/images/json")).json()
    return sorted(tag for image in listed for tag in image["RepoTags"])


@pytest.mark.parametrize(
    ("method", "path", "params", "route", "unknown"),
    [
        ("GET", "/images/json", {"manifests": "1"}, "GET /images/json", "manifests"),
        ("POST", "/images/create", {"fromImage": "busybox", "tag": "latest", "repo": "x"},
         "POST /images/create (pull)", "repo"),
        ("POST", "/images/create", {"fromSrc": "-", "repo": "q", "fromImage2": "y"},
         "POST /images/create (import)", "fromImage2"),
        ("GET", "/images/q/json", {"manifests": "1"}, "GET /images/{name}/json", "manifests"),
        ("POST", "/images/q/tag", {"repo": "other", "platform": "linux/amd64"},
         "POST /images/{name}/tag", "platform"),
        ("DELETE", "/images/q", {"platforms": "linux/amd64"}, "DELETE /images/{name}",
         "platforms"),
    ],
)  # fmt: skip
async def test_an_unknown_parameter_is_refused_by_name_and_changes_nothing(
    api: Client, method: str, path: str, params: dict[str, str], route: str, unknown: str
) -> None:
    before = await imported(api, "q")
    response = await api.request(method, path, params=params, data=layer_tar({"a": b"b"}))
    assert response.status == 400
    assert (await response.json())["message"] == (
        f"unknown query parameter for {route}: {unknown}"
    )
    assert await tags(api) == before


async def test_what_docker_py_sends_is_taken(api: Client) -> None:
    before = await imported(api, "q")
    listing = await api.get("/images/json", params={"only_ids": "1", "all": "0"})
    assert listing.status == 200
    assert sorted(t for image in await listing.json() for t in image["RepoTags"]) == before
    tagged = await api.post("/images/q/tag", params={"repo": "r", "tag": "v1", "force": "0"})
    assert tagged.status == 201, await tagged.text()
    removed = await api.delete("/images/r:v1", params={"force": "0", "noprune": "0"})
    assert removed.status == 200
    assert await removed.json() == [{"Untagged": "r:v1"}]
