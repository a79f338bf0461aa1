"""RegistryBrowser on in-memory registries: tags behind a Bearer challenge, a manifest list's
platforms without its attestation entries, a tag that cannot be read keeping its row, a
registry without a catalog, pages capped at n, and tags a registry should not send."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image, sha
from tuibox.engine.domain.errors import InvalidArgument, NotFound, Unavailable
from tuibox.engine.domain.platform import go_arch
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.manifests import DOCKER_MANIFEST
from tuibox.engine.services.browse.catalog import RegistryBrowser

HOST = "registry.test:5000"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE = build_image([{"bin/sh": b"#!" + b"x" * 100}])
OTHER = build_image([{"bin/sh": b"arm"}], config_changes={"architecture": "riscv64"})


def index(*entries: tuple[bytes, dict[str, str]]) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": sha(body), "size": len(body),
         "platform": platform}
        for body, platform in entries]}).encode()  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[tuple[RegistryBrowser, FakeRegistry, list[str | None]]]:
    registry = FakeRegistry(token="secret-token")
    registry.add("team/app", "plain", IMAGE)
    registry.add("team/app", "other", OTHER)
    both = index((IMAGE.manifest, {"os": "linux", "architecture": go_arch()}),
                 (OTHER.manifest, {"os": "linux", "architecture": "riscv64"}),
                 (IMAGE.manifest, {"os": "unknown", "architecture": "unknown"}))
    registry.add_document("team/app", "both", both, OCI_INDEX)
    registry.add_document("team/app", "broken", b"{not json", DOCKER_MANIFEST)
    client = RegistryClient(insecure=(HOST,), transport=Network({HOST: registry}).transport())
    asked: list[str | None] = []

    def lookup(host: str) -> Credentials | None:
        asked.append(host)
        return None

    yield RegistryBrowser(client, lookup), registry, asked
    await client.aclose()


async def test_tags_behind_a_token_with_platforms_sizes_and_errors(
    browser: tuple[RegistryBrowser, FakeRegistry, list[str | None]],
) -> None:
    reader, _, asked = browser
    page = await reader.tags(HOST, "team/app", n=100, last=None)
    tags = {entry["Tag"]: entry for entry in page["Tags"] if not entry["Tag"].startswith("sha")}
    assert sorted(tags) == ["both", "broken", "other", "plain"]
    assert tags["both"]["Platforms"] == [f"linux/{go_arch()}", "linux/riscv64"]
    size = json.loads(IMAGE.manifest)["config"]["size"] + sum(
        layer["size"] for layer in json.loads(IMAGE.manifest)["layers"])
    assert tags["both"]["Size"] == size == tags["plain"]["Size"]
    assert tags["plain"]["Created"] == "2024-05-01T10:00:00.123456789Z"
    assert tags["other"]["Platforms"] == ["linux/riscv64"]
    assert tags["broken"]["Error"].startswith("invalid manifest from the registry: ")
    assert tags["broken"]["Size"] == 0 and tags["plain"]["Error"] == ""
    assert asked == [HOST]  # the stored login is looked up by registry key
    assert page["Next"] is None


async def test_a_page_is_capped_at_n_and_bad_tags_keep_a_row(
    browser: tuple[RegistryBrowser, FakeRegistry, list[str | None]],
) -> None:
    reader, registry, _ = browser
    page = await reader.tags(HOST, "team/app", n=2, last=None)
    assert len(page["Tags"]) == 2  # this registry ignores n: the engine does not
    registry.repos["team/odd"] = {"../../etc": (IMAGE.manifest, DOCKER_MANIFEST)}
    odd = await reader.tags(HOST, "team/odd", n=10, last=None)
    assert odd["Tags"][0]["Error"] == "invalid tag format: '../../etc'"


async def test_refusals_say_which_registry_and_why(
    browser: tuple[RegistryBrowser, FakeRegistry, list[str | None]],
) -> None:
    reader, _, _ = browser
    with pytest.raises(NotFound, match=r"^registry registry.test:5000 cannot list its "
                                       r"repositories \(/v2/_catalog\): not offered"):
        await reader.catalog(HOST, n=10, last=None)
    with pytest.raises(NotFound, match="cannot list the tags of team/none: repository not found"):
        await reader.tags(HOST, "team/none", n=10, last=None)
    with pytest.raises(Unavailable, match=r"^registry elsewhere:1 is unreachable"):
        await reader.catalog("elsewhere:1", n=10, last=None)
    with pytest.raises(InvalidArgument, match="invalid value for n: 0"):
        await reader.catalog(HOST, n=0, last=None)
    with pytest.raises(InvalidArgument, match="expected host"):
        await reader.catalog("a/b", n=10, last=None)


async def test_the_catalog_follows_the_link_header() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":  # the ping that picks the endpoint
            return httpx.Response(200)
        assert request.url.path == "/v2/_catalog"
        if request.url.params.get("last") == "b":
            return httpx.Response(200, json={"repositories": ["c"]})
        return httpx.Response(200, json={"repositories": ["a", "b"]}, headers={
            "Link": '</v2/_catalog?last=b&n=2>; rel="next"'})

    client = RegistryClient(insecure=(HOST,), transport=httpx.MockTransport(answer))
    reader = RegistryBrowser(client)
    first = await reader.catalog(HOST, n=2, last=None)
    assert first == {"Repositories": ["a", "b"], "Next": "b"}
    assert await reader.catalog(HOST, n=2, last="b") == {"Repositories": ["c"], "Next": None}
    await client.aclose()
