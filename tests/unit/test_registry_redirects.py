"""Credentials stay with the registry: a blob redirected to another host gets none."""

from __future__ import annotations

import hashlib

import httpx

from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RepositorySession
from tuibox.engine.registry.endpoints import Endpoint
from tuibox.engine.registry.manifests import Descriptor

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
