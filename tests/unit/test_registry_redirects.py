"""Credentials stay with the registry: none follow a redirect elsewhere or go to manifest urls."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient, RepositorySession
from tuibox.engine.registry.endpoints import Endpoint
from tuibox.engine.registry.manifests import DOCKER_MANIFEST, Descriptor

BLOB = b"layer bytes"
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


async def test_a_blob_redirected_to_a_cdn_is_fetched_without_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "cdn.example":
            return httpx.Response(200, content=BLOB)
        if "authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return httpx.Response(307, headers={"Location": "https://cdn.example/blob?sig=1"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
    session = RepositorySession(http, Endpoint("https://reg.example"),
                                parse_reference("reg.example/team/app"),
                                Credentials("me", "secret"))  # fmt: skip
    data = await session.fetch_blob(Descriptor("x", DIGEST, len(BLOB)))
    await http.aclose()
    assert data == BLOB
    assert [(r.url.host, "authorization" in r.headers) for r in seen] == [
        ("reg.example", False), ("reg.example", True), ("cdn.example", False),
    ]


async def test_a_foreign_layer_is_refused_and_its_urls_never_asked() -> None:
    """Docker fetches no layer from the `urls` of a manifest by default; nor does tuibox."""
    image = build_image([{"bin/hello": b"hi"}])
    manifest = json.loads(image.manifest)
    manifest["layers"][0].update({
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "urls": ["https://foreign.example/layer.tar.gz"],
    })  # fmt: skip
    registry = FakeRegistry()
    registry.add_document("team/app", "latest", json.dumps(manifest).encode(), DOCKER_MANIFEST)
    network = Network({"reg.example": registry, "foreign.example": FakeRegistry()})
    client = RegistryClient(transport=network.transport())
    with pytest.raises(InvalidArgument, match="unsupported layer media type"):
        await client.resolve(parse_reference("reg.example/team/app"), Credentials("me", "pw"))
    await client.aclose()
    assert all("foreign.example" not in url for url in network.seen)
