"""The engine's browse endpoints behind htpasswd Basic auth, through the TUI's client: refused
without a login, served with the one POST /auth stored, refused again after the logout."""

from __future__ import annotations

import asyncio

import pytest

from tests.engine.conftest import engine_process
from tests.engine.marks import NEEDS_REGISTRY
from tests.engine.registries.conftest import USER
from tests.engine.registries.servers import ConfiguredRegistry
from tuibox.client import EngineClient
from tuibox.client.errors import UnauthorizedError

pytestmark = [pytest.mark.engine, *NEEDS_REGISTRY]


def test_browsing_uses_the_login_the_engine_keeps(basic_registry: ConfiguredRegistry) -> None:
    host = basic_registry.host
    refused = (f"registry {host} refused to list its repositories (/v2/_catalog): "
               "unauthorized (HTTP 401); log in to it first")  # fmt: skip
    with engine_process(basic_registry.url) as engine:

        async def scenario() -> None:
            client = EngineClient(str(engine.socket))
            try:
                with pytest.raises(UnauthorizedError) as anonymous:
                    await client.registry_catalog(host)
                assert anonymous.value.message == refused
                assert await client.login(host, USER.username, USER.password) == "Login Succeeded"
                page = await client.registry_catalog(host)
                assert "team/box" in page.repositories
                tags = await client.registry_tags(host, "team/box")
                assert [tag.tag for tag in tags.tags] == ["latest"]
                assert tags.tags[0].error == "" and tags.tags[0].size > 0
                await client.logout(host)
                with pytest.raises(UnauthorizedError):
                    await client.registry_catalog(host)
            finally:
                await client.close()

        asyncio.run(scenario())
