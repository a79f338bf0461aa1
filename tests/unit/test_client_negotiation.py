"""Tests API version negotiation, as the docker CLI does it, and --host parsing."""

from __future__ import annotations

import httpx
import pytest

from tuibox.client import (
    EngineClient,
    EngineUnavailableError,
    UnsupportedEngineError,
    negotiate_api_version,
    socket_path_from_host,
)


@pytest.mark.parametrize(
    ("server", "expected"),
    [("1.50", "1.44"), ("1.44", "1.44"), ("1.41", "1.41"), ("1.9", "1.9"), (None, "1.24")],
)
def test_negotiate_takes_the_lower_version(server: str | None, expected: str) -> None:
    assert negotiate_api_version(server) == expected


def recording_client(ping_status: int, headers: dict[str, str]) -> tuple[EngineClient, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/_ping":
            status = ping_status if request.method == "HEAD" else 200
            return httpx.Response(status, headers=headers if status == 200 else {})
        return httpx.Response(200, json=[])

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler)), seen


async def test_first_call_pings_with_head_then_uses_versioned_paths() -> None:
    client, seen = recording_client(200, {"Api-Version": "1.50"})
    await client.list_containers()
    await client.list_images()
    assert seen == ["HEAD /_ping", "GET /v1.44/containers/json", "GET /v1.44/images/json"]


async def test_head_refused_falls_back_to_get() -> None:
    client, seen = recording_client(405, {"Api-Version": "1.41"})
    ping = await client.ping()
    assert seen == ["HEAD /_ping", "GET /_ping"]
    assert ping.api_version == "1.41"
    assert client.api_version == "1.41"


async def test_missing_api_version_header_means_1_24() -> None:
    client, seen = recording_client(200, {"Server": "old"})
    await client.list_containers()
    assert seen[-1] == "GET /v1.24/containers/json"


async def test_ping_reads_server_and_podman_headers() -> None:
    headers = {"API-Version": "1.41", "OSType": "linux", "Server": "Libpod/4.3.1 (linux)",
               "Libpod-API-Version": "4.3.1", "Docker-Experimental": "true"}
    client, _ = recording_client(200, headers)
    ping = await client.ping()
    assert (ping.os_type, ping.server, ping.libpod_api_version, ping.experimental) == (
        "linux", "Libpod/4.3.1 (linux)", "4.3.1", True,
    )


async def test_lost_engine_renegotiates_on_next_call() -> None:
    state = {"down": False}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if state["down"]:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/_ping":
            return httpx.Response(200, headers={"Api-Version": "1.44"})
        return httpx.Response(200, json=[])

    client = EngineClient("/fake.sock", transport=httpx.MockTransport(handler))
    await client.list_images()
    state["down"] = True
    with pytest.raises(Exception, match="cannot reach"):
        await client.list_images()
    state["down"] = False
    seen.clear()
    await client.list_images()
    assert seen == ["HEAD /_ping", "GET /v1.44/images/json"]


@pytest.mark.parametrize(
    ("host", "path"),
    [("unix:///var/run/docker.sock", "/var/run/docker.sock"), ("/tmp/e.sock", "/tmp/e.sock")],
)
def test_socket_path_from_host(host: str, path: str) -> None:
    assert socket_path_from_host(host) == path


@pytest.mark.parametrize("host", ["tcp://1.2.3.4:2375", "ssh://me@box", "relative.sock"])
def test_socket_path_from_host_refuses_other_schemes(host: str) -> None:
    with pytest.raises(ValueError):
        socket_path_from_host(host)


async def test_engine_older_than_api_1_24_is_refused_with_a_clear_message() -> None:
    client, seen = recording_client(200, {"Api-Version": "1.23"})
    with pytest.raises(UnsupportedEngineError) as caught:
        await client.list_containers()
    assert str(caught.value) == (
        "the engine at unix:///fake.sock speaks Docker API 1.23, older than 1.24, "
        "the oldest tuibox supports; upgrade the engine"
    )
    assert isinstance(caught.value, EngineUnavailableError)
    assert seen == ["HEAD /_ping"]
    assert client.api_version is None
