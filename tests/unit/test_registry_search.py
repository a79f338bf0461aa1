"""`docker search` against a registry that serves /v1/search (a fake, as Docker Hub answers):
the query sent, Docker's result shape, the filters applied to what came back."""

from __future__ import annotations

import httpx

from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.services.images.registry_queries import search

ANSWER = {"num_results": 3, "query": "box", "results": [
    {"name": "team/box", "description": "a box", "star_count": 12, "is_official": False,
     "is_automated": True, "extra": "dropped"},
    {"name": "box", "description": "the official box", "star_count": 900,
     "is_official": True, "is_automated": False},
    {"name": "other/box", "description": None, "star_count": 1},
]}  # fmt: skip


def fake_search_registry(asked: list[httpx.URL]) -> RegistryClient:
    """A registry whose /v1/search answers ANSWER (a fake: Debian's registry has none)."""

    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        if request.url.path == "/v1/search":
            return httpx.Response(200, json=ANSWER)
        return httpx.Response(404)

    return RegistryClient(insecure=("127.0.0.1:5000",), transport=httpx.MockTransport(handle))


async def test_results_come_back_in_dockers_shape_and_the_query_names_the_term() -> None:
    asked: list[httpx.URL] = []
    found = await search(fake_search_registry(asked), "127.0.0.1:5000/box", 10, {})
    assert [(r["name"], r["star_count"], r["is_official"], r["is_automated"]) for r in found] == [
        ("team/box", 12, False, True), ("box", 900, True, False), ("other/box", 1, False, False),
    ]  # fmt: skip
    assert found[2]["description"] == "" and "extra" not in found[0]
    (url,) = asked
    assert (url.host, url.port, url.path) == ("127.0.0.1", 5000, "/v1/search")
    assert dict(url.params) == {"q": "box", "n": "10"}


async def test_filters_keep_only_the_results_they_name() -> None:
    client = fake_search_registry([])
    official = await search(client, "127.0.0.1:5000/box", None, {"is-official": ["true"]})
    assert [r["name"] for r in official] == ["box"]
    starred = await search(client, "127.0.0.1:5000/box", None, {"stars": ["10"]})
    assert [r["name"] for r in starred] == ["team/box", "box"]
    automated = await search(client, "127.0.0.1:5000/box", None, {"is-automated": ["0"]})
    assert [r["name"] for r in automated] == ["box", "other/box"]
