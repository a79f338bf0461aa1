"""Registry client over httpx.MockTransport: mirrors, plain HTTP, digests, errors, tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image, index_for, sha
from tuibox.engine.domain.errors import InvalidArgument, NotFound, Unauthorized, Unavailable
from tuibox.engine.domain.platform import go_arch
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import Credentials, fetch_token
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import is_insecure_host, pull_endpoints
from tuibox.engine.registry.manifests import DOCKER_MANIFEST, OCI_INDEX

IMAGE = build_image([{"bin/hello": b"hi"}])


def client_for(
    network: Network, mirrors: tuple[str, ...] = (), insecure: tuple[str, ...] = ()
) -> RegistryClient:
    return RegistryClient(mirrors, insecure, transport=network.transport())


async def test_mirrors_are_tried_in_order_then_used() -> None:
    good = FakeRegistry()
    good.add("library/busybox", "latest", IMAGE)
    empty = FakeRegistry()
    network = Network({"m2:5000": empty, "m3:5000": good})
    client = client_for(network, ("http://m1:5000", "http://m2:5000/", "http://m3:5000"))
    session, resolved = await client.resolve(parse_reference("busybox"))
    assert resolved.endpoint.base_url == "http://m3:5000"
    assert resolved.digest == IMAGE.digest
    assert [u.split("/v2")[0] for u in network.seen] == [
        "http://m1:5000", "http://m2:5000", "http://m3:5000",
    ]
    assert await session.fetch_blob(resolved.manifest.config) == IMAGE.config
    await client.aclose()


async def test_hub_is_the_last_resort_after_mirrors() -> None:
    hub = FakeRegistry()
    hub.add("library/busybox", "latest", IMAGE)
    network = Network({"registry-1.docker.io": hub})
    client = client_for(network, ("http://down:1",))
    _, resolved = await client.resolve(parse_reference("busybox"))
    assert resolved.endpoint.base_url == "https://registry-1.docker.io"
    assert network.seen[0].startswith("http://down:1/v2/library/busybox/manifests/latest")


async def test_mirrors_are_not_used_for_other_registries() -> None:
    local = FakeRegistry()
    local.add("team/app", "v1", IMAGE)
    network = Network({"127.0.0.1:5000": local, "mirror:1": FakeRegistry()})
    client = client_for(network, ("http://mirror:1",))
    _, resolved = await client.resolve(parse_reference("127.0.0.1:5000/team/app:v1"))
    # loopback is insecure: HTTPS without checks comes first (the fake answers both schemes)
    assert resolved.endpoint.base_url == "https://127.0.0.1:5000"
    assert all("mirror" not in url for url in network.seen)


def test_plain_http_only_for_loopback_and_listed_registries() -> None:
    assert is_insecure_host("localhost:5000", ())
    assert is_insecure_host("127.0.0.1:5000", ())
    assert is_insecure_host("[::1]:5000", ())
    assert not is_insecure_host("registry.example.com", ())
    assert is_insecure_host("registry.example.com:5000", ("registry.example.com:5000",))
    assert is_insecure_host("10.1.2.3:5000", ("10.0.0.0/8",))
    assert not is_insecure_host("11.1.2.3:5000", ("10.0.0.0/8",))
    https = pull_endpoints(parse_reference("quay.io/x/y"), (), ())
    assert https[0].base_url == "https://quay.io"


async def test_missing_repository_text() -> None:
    network = Network({"r:5000": FakeRegistry()})
    client = client_for(network, ("http://r:5000",))
    with pytest.raises(NotFound) as caught:
        await client.resolve(parse_reference("nosuch"))
    assert str(caught.value) == (
        "pull access denied for nosuch, repository does not exist or may require "
        "'docker login': denied: requested access to the resource is denied"
    )


async def test_missing_tag_text() -> None:
    registry = FakeRegistry()
    registry.add("library/busybox", "latest", IMAGE)
    client = client_for(Network({"r:5000": registry}), ("http://r:5000",))
    with pytest.raises(NotFound) as caught:
        await client.resolve(parse_reference("busybox:nosuch"))
    assert str(caught.value) == (
        "manifest for busybox:nosuch not found: manifest unknown: manifest unknown"
    )


async def test_unreachable_registry_is_unavailable() -> None:
    client = client_for(Network({}))
    with pytest.raises(Unavailable, match=r"registry 127\.0\.0\.1:9 is unreachable"):
        await client.resolve(parse_reference("127.0.0.1:9/x"))


async def test_announced_digest_mismatch_is_refused() -> None:
    registry = FakeRegistry(lie_about_digest=True)
    registry.add("x", "latest", IMAGE)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    with pytest.raises(InvalidArgument, match="manifest digest mismatch"):
        await client.resolve(parse_reference("127.0.0.1:5000/x"))


async def test_pull_by_digest_must_hash_to_that_digest() -> None:
    registry = FakeRegistry()
    registry.add("x", "latest", IMAGE)
    wrong = "sha256:" + "f" * 64
    registry.repos["x"][wrong] = (IMAGE.manifest, DOCKER_MANIFEST)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    with pytest.raises(InvalidArgument, match="digest mismatch"):
        await client.resolve(parse_reference(f"127.0.0.1:5000/x@{wrong}"))
    _, resolved = await client.resolve(parse_reference(f"127.0.0.1:5000/x@{IMAGE.digest}"))
    assert resolved.manifest_digest == IMAGE.digest


async def test_blob_digest_and_size_are_verified() -> None:
    registry = FakeRegistry()
    registry.add("x", "latest", IMAGE)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    session, resolved = await client.resolve(parse_reference("127.0.0.1:5000/x"))
    registry.blobs[resolved.manifest.config.digest] = IMAGE.config.replace(b"sh", b"zz")
    with pytest.raises(InvalidArgument, match="digest mismatch"):
        await session.fetch_blob(resolved.manifest.config)
    registry.blobs[resolved.manifest.config.digest] = IMAGE.config + b" "
    with pytest.raises(InvalidArgument, match="larger than its announced"):
        await session.fetch_blob(resolved.manifest.config)


async def test_index_picks_the_host_platform() -> None:
    other = build_image([{"other": b"arch"}])
    mine = IMAGE
    foreign = "arm64" if go_arch() != "arm64" else "amd64"
    registry = FakeRegistry()
    registry.add("x", "only-digests", mine)
    registry.add("x", "other-digests", other)
    index = index_for({foreign: other, go_arch(): mine})
    registry.add_document("x", "latest", index, OCI_INDEX)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    _, resolved = await client.resolve(parse_reference("127.0.0.1:5000/x"))
    assert resolved.digest == sha(index)
    assert resolved.manifest_digest == mine.digest


async def test_index_without_the_host_platform_is_not_found() -> None:
    registry = FakeRegistry()
    registry.add("x", "other", IMAGE)
    registry.add_document("x", "latest", index_for({"s390x": IMAGE}), OCI_INDEX)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    with pytest.raises(NotFound, match="no matching manifest for linux/"):
        await client.resolve(parse_reference("127.0.0.1:5000/x"))


async def test_schema1_and_mixed_documents_are_refused() -> None:
    registry = FakeRegistry()
    registry.add_document("x", "old", json.dumps({"schemaVersion": 1}).encode(),
                          "application/vnd.docker.distribution.manifest.v1+prettyjws")
    mixed = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [],
                        "layers": []}).encode()
    registry.add_document("x", "mixed", mixed, OCI_INDEX)
    client = client_for(Network({"127.0.0.1:5000": registry}))
    with pytest.raises(InvalidArgument, match="schema1"):
        await client.resolve(parse_reference("127.0.0.1:5000/x:old"))
    with pytest.raises(InvalidArgument, match="both manifest and index"):
        await client.resolve(parse_reference("127.0.0.1:5000/x:mixed"))


async def test_bearer_token_challenge_is_answered() -> None:
    registry = FakeRegistry(token="secret-token")
    registry.add("x", "latest", IMAGE)
    network = Network({"127.0.0.1:5000": registry})
    client = client_for(network)
    session, resolved = await client.resolve(parse_reference("127.0.0.1:5000/x"))
    assert resolved.digest == IMAGE.digest
    assert "https://127.0.0.1:5000/token" in network.seen
    assert await session.fetch_blob(resolved.manifest.config) == IMAGE.config


def _token_client(handler: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


async def test_token_reply_is_read_only_up_to_the_cap() -> None:
    sent = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(64 * 1024)
            yield b" " * (64 * 1024)

    client = _token_client(lambda request: httpx.Response(200, content=endless()))
    with pytest.raises(Unauthorized, match="more than 1048576 bytes"):
        await fetch_token(client, {"realm": "https://auth/token"}, "s", None, "https://reg")
    assert sum(sent) <= 1024 * 1024 + 2 * 64 * 1024
    await client.aclose()


async def test_credentials_never_go_to_a_plain_http_realm_of_an_https_registry() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"token": "t"})

    client = _token_client(handler)
    user = Credentials("me", "secret")
    with pytest.raises(Unauthorized, match="refusing to send credentials"):
        await fetch_token(client, {"realm": "http://auth/token"}, "s", user, "https://reg")
    assert seen == []
    anonymous = await fetch_token(client, {"realm": "http://auth/token"}, "s", None, "https://reg")
    assert anonymous == "t" and "authorization" not in seen[0].headers
    assert await fetch_token(client, {"realm": "http://auth/t"}, "s", user, "http://reg") == "t"
    assert seen[1].headers["authorization"].startswith("Basic ")
    await client.aclose()


async def test_token_redirect_from_https_to_http_is_refused() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://evil/token"})
        return httpx.Response(200, json={"token": "t"})

    client = _token_client(handler)
    user = Credentials("me", "secret")
    with pytest.raises(Unauthorized, match="redirected from https to plain http"):
        await fetch_token(client, {"realm": "https://auth/token"}, "s", user, "https://reg")
    assert all(url.startswith("https://") for url in seen)
    await client.aclose()


def test_insecure_registries_try_https_unchecked_then_plain_http() -> None:
    endpoints = pull_endpoints(parse_reference("127.0.0.1:5000/x"), (), ())
    assert [(e.base_url, e.tls_verify) for e in endpoints] == [
        ("https://127.0.0.1:5000", False), ("http://127.0.0.1:5000", True),
    ]
    listed = pull_endpoints(parse_reference("10.1.2.3:5000/x"), (), ("10.0.0.0/8",))
    assert [e.base_url for e in listed] == ["https://10.1.2.3:5000", "http://10.1.2.3:5000"]
    assert [(e.base_url, e.tls_verify) for e in pull_endpoints(
        parse_reference("quay.io/x/y"), (), ())] == [("https://quay.io", True)]  # fmt: skip


async def test_a_refused_https_attempt_falls_back_to_plain_http() -> None:
    registry = FakeRegistry()
    registry.add("x", "latest", IMAGE)

    def plain_only(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            raise httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
        return registry.handle(request)

    client = RegistryClient(transport=httpx.MockTransport(plain_only))
    _, resolved = await client.resolve(parse_reference("127.0.0.1:5000/x"))
    assert resolved.endpoint.base_url == "http://127.0.0.1:5000"
    await client.aclose()
