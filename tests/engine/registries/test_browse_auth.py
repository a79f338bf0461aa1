"""RegistryBrowser against Debian's docker-registry with token auth (the fake token server) and
htpasswd Basic auth: the catalog and tags with a stored login, and the refusal without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.marks import NEEDS_REGISTRY
from tests.engine.registries.conftest import USER
from tests.engine.registries.servers import ConfiguredRegistry
from tests.fakes.token_server import FakeTokenServer
from tuibox.demo.images import BuiltImage
from tuibox.engine.domain.errors import Unauthorized
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.services.browse.catalog import RegistryBrowser

pytestmark = NEEDS_REGISTRY


def logged_in(host: str) -> Credentials | None:
    return USER


async def test_the_catalog_behind_a_token_server_needs_the_login(
    token_registry: ConfiguredRegistry, server: FakeTokenServer,
) -> None:  # fmt: skip
    client = RegistryClient()
    try:
        with pytest.raises(Unauthorized, match=rf"^registry {token_registry.host} refused to "
                                               r"list its repositories \(/v2/_catalog\): "
                                               r"unauthorized \(HTTP 401\); log in"):
            await RegistryBrowser(client).catalog(token_registry.host, 10, None)
        page = await RegistryBrowser(client, logged_in).catalog(token_registry.host, 10, None)
        browser = RegistryBrowser(client)  # by default: the logins the client pulls with,
        client.credential_lookup = logged_in  # as the login service installs them later
        again = await browser.catalog(token_registry.host, 10, None)
    finally:
        await client.aclose()
    assert page == again == {"Repositories": ["library/hello-world", "team/box"], "Next": None}
    asked = [request for request in server.requests if request.user == USER.username]
    assert asked and asked[-1].scopes == ("registry:catalog:*",)


async def test_tags_behind_a_token_server_with_the_login(
    token_registry: ConfiguredRegistry, server: FakeTokenServer,
    storage: tuple[Path, dict[str, BuiltImage]],
) -> None:  # fmt: skip
    server.anonymous_pull = False
    client = RegistryClient()
    try:
        with pytest.raises(Unauthorized, match="refused to list the tags of team/box"):
            await RegistryBrowser(client).tags(token_registry.host, "team/box", 10, None)
        page = await RegistryBrowser(client, logged_in).tags(token_registry.host, "team/box",
                                                             10, None)  # fmt: skip
    finally:
        await client.aclose()
    (tag,) = page["Tags"]
    assert (tag["Tag"], tag["Digest"], tag["Error"]) == (
        "latest", storage[1]["team/box"].manifest.digest, "")


async def test_basic_auth_registries_take_the_login_too(
    basic_registry: ConfiguredRegistry,
) -> None:
    client = RegistryClient()
    try:
        with pytest.raises(Unauthorized):
            await RegistryBrowser(client).catalog(basic_registry.host, 10, None)
        page = await RegistryBrowser(client, logged_in).catalog(basic_registry.host, 10, None)
        tags = await RegistryBrowser(client, logged_in).tags(basic_registry.host,
                                                             "library/hello-world", 10, None)
    finally:
        await client.aclose()
    assert "team/box" in page["Repositories"]
    assert [tag["Tag"] for tag in tags["Tags"]] == ["latest"] and tags["Tags"][0]["Size"] > 0
