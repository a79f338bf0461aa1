"""The registry client against Debian's docker-registry with token auth (a fake token
server issuing its JWTs) and with htpasswd Basic auth: tokens, cache, retries, refusals."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.engine.marks import NEEDS_REGISTRY
from tests.engine.registries.conftest import USER, Clock
from tests.engine.registries.servers import ConfiguredRegistry, TlsFiles
from tests.fakes.token_server import FakeTokenServer
from tuibox.demo.images import BuiltImage
from tuibox.engine.domain.errors import NotFound, Unauthorized
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import Credentials, TokenCache
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import Endpoint

pytestmark = NEEDS_REGISTRY


async def test_anonymous_pull_gets_a_token_once_and_reuses_it(
    token_registry: ConfiguredRegistry, server: FakeTokenServer,
    storage: tuple[Path, dict[str, BuiltImage]],
) -> None:  # fmt: skip
    client = RegistryClient()
    reference = parse_reference(f"{token_registry.host}/team/box")
    try:
        session, resolved = await client.resolve(reference)
        assert resolved.manifest_digest == storage[1]["team/box"].manifest.digest
        assert await session.fetch_blob(resolved.manifest.config)
        await client.resolve(reference)
    finally:
        await client.aclose()
    assert server.requests == [server.requests[0]]
    assert server.requests[0].scopes == ("repository:team/box:pull",)
    assert server.requests[0].user == ""


async def test_private_repository_needs_the_credentials(
    token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    server.anonymous_pull = False
    reference = parse_reference(f"{token_registry.host}/team/box")
    client = RegistryClient()
    try:
        with pytest.raises(NotFound, match=r"pull access denied for .*team/box"):
            await client.resolve(reference)
        _, resolved = await client.resolve(reference, USER)
        assert resolved.manifest.layers
        with pytest.raises(Unauthorized, match="incorrect username or password"):
            await client.resolve(reference, Credentials("alice", "wrong"))
    finally:
        await client.aclose()
    # the anonymous token lacks the scope: the registry says insufficient_scope, one retry
    assert [r.user for r in server.requests] == ["", "", "alice", ""]
    assert all(r.method == "GET" for r in server.requests)


async def test_identity_token_uses_the_oauth2_refresh_grant(
    token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    server.anonymous_pull, server.token_field = False, "access_token"
    client = RegistryClient()
    try:
        await client.resolve(parse_reference(f"{token_registry.host}/team/box"),
                             Credentials("", "", identity_token="refresh-me"))  # fmt: skip
    finally:
        await client.aclose()
    assert [(r.method, r.grant_type, r.user) for r in server.requests] == [
        ("POST", "refresh_token", "alice")
    ]


async def test_expires_in_defaults_to_sixty_seconds(
    token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    server.expires_in = None
    clock = Clock()
    client = RegistryClient()
    client.tokens = TokenCache(clock)
    reference = parse_reference(f"{token_registry.host}/team/box")
    try:
        await client.resolve(reference)
        clock.now += 40
        await client.resolve(reference)
        assert len(server.requests) == 1
        clock.now += 30
        await client.resolve(reference)
    finally:
        await client.aclose()
    assert len(server.requests) == 2


async def test_concurrent_requests_share_one_token_fetch(
    token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    client = RegistryClient()
    reference = parse_reference(f"{token_registry.host}/team/box")
    try:
        results = await asyncio.gather(*(client.resolve(reference) for _ in range(6)))
    finally:
        await client.aclose()
    assert len({resolved.manifest_digest for _, resolved in results}) == 1
    assert len(server.requests) == 1


async def test_a_token_the_registry_calls_invalid_is_fetched_again_once(
    token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    server.expired_tokens = 1
    client = RegistryClient()
    try:
        _, resolved = await client.resolve(parse_reference(f"{token_registry.host}/team/box"))
        assert resolved.manifest.layers
        assert len(server.requests) == 2
        server.expired_tokens = 5
        with pytest.raises(NotFound, match="pull access denied"):
            await client.resolve(parse_reference(f"{token_registry.host}/library/hello-world"))
    finally:
        await client.aclose()
    assert len(server.requests) == 4  # one fetch, then one retry: no loop


async def test_basic_only_registry_gets_basic_credentials(
    basic_registry: ConfiguredRegistry,
) -> None:
    reference = parse_reference(f"{basic_registry.host}/team/box")
    client = RegistryClient()
    try:
        session, resolved = await client.resolve(reference, USER)
        assert await session.fetch_blob(resolved.manifest.config)
        with pytest.raises(NotFound, match="pull access denied"):
            await client.resolve(reference)
        with pytest.raises(NotFound, match="pull access denied"):
            await client.resolve(reference, Credentials("alice", "wrong"))
    finally:
        await client.aclose()


async def test_basic_auth_over_tls_with_the_ca_of_certs_d(
    basic_tls_registry: ConfiguredRegistry, tls_files: TlsFiles, tmp_path: Path
) -> None:
    folder = tmp_path / "certs.d" / basic_tls_registry.host
    folder.mkdir(parents=True)
    shutil.copy(tls_files.ca_cert, folder / "ca.crt")
    client = RegistryClient(insecure=())
    client.certs_dir = tmp_path / "certs.d"
    reference = parse_reference(f"{basic_tls_registry.host}/team/box")
    try:
        session, resolved = await client.resolve(reference, USER)
        assert session.endpoint.base_url.startswith("https://")
        assert await session.fetch_blob(resolved.manifest.config)
        verified = client.client_for(Endpoint(basic_tls_registry.url))  # checked against ca.crt
        assert (await verified.get(f"{basic_tls_registry.url}/v2/")).status_code == 401
        with pytest.raises(NotFound, match="pull access denied"):
            await client.resolve(reference)
    finally:
        await client.aclose()
