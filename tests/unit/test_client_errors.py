"""Tests the client's mapping of HTTP statuses and bodies to the EngineError tree."""

from __future__ import annotations

import json

import httpx
import pytest

from tuibox.client import (
    ConflictError,
    EngineClient,
    EngineError,
    EngineUnavailableError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    error_from_response,
)


def ping_headers() -> dict[str, str]:
    return {"Api-Version": "1.44", "Ostype": "linux", "Server": "tuibox/0.1.0 (linux)"}


def client_answering(
    status: int, body: bytes = b"", path_seen: list[str] | None = None
) -> EngineClient:
    """An EngineClient whose engine pings fine and answers every other call with `status`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=ping_headers())
        if path_seen is not None:
            path_seen.append(request.url.path)
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, InvalidArgumentError),
        (404, NotFoundError),
        (409, ConflictError),
        (500, ServerError),
        (503, ServiceUnavailableError),
        (418, ServerError),
    ],
)
async def test_status_maps_to_error_class_with_engine_message(
    status: int, error_class: type[EngineError]
) -> None:
    body = json.dumps({"message": "container web is running; stop it before deleting"})
    client = client_answering(status, body.encode())
    with pytest.raises(error_class) as caught:
        await client.remove_container("web")
    assert caught.value.status == status
    assert str(caught.value) == "container web is running; stop it before deleting"
    assert type(caught.value) is error_class


def test_non_json_body_becomes_the_message() -> None:
    error = error_from_response(500, b"plain failure [text]\n", "/v1.44/info")
    assert isinstance(error, ServerError)
    assert error.message == "plain failure [text]"


def test_empty_body_names_status_and_route() -> None:
    error = error_from_response(404, b"", "/v1.44/containers/x/json")
    assert isinstance(error, NotFoundError)
    assert error.message == "request returned 404 for API route /v1.44/containers/x/json"


def test_json_without_message_keeps_the_body() -> None:
    error = error_from_response(409, b'{"error": "odd"}', "/x")
    assert isinstance(error, ConflictError)
    assert error.message == '{"error": "odd"}'


async def test_connection_refused_is_engine_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = EngineClient("/nowhere.sock", transport=httpx.MockTransport(handler))
    with pytest.raises(EngineUnavailableError) as caught:
        await client.list_containers()
    assert "unix:///nowhere.sock" in str(caught.value)
    assert caught.value.status is None


async def test_read_timeout_is_engine_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=ping_headers())
        raise httpx.ReadTimeout("timed out", request=request)

    client = EngineClient("/fake.sock", transport=httpx.MockTransport(handler))
    with pytest.raises(EngineUnavailableError):
        await client.info()


async def test_start_304_is_already_started_not_an_error() -> None:
    client = client_answering(304)
    assert (await client.start("web")).already_started is True


async def test_start_204_is_a_fresh_start() -> None:
    client = client_answering(204)
    assert (await client.start("web")).already_started is False


async def test_stop_304_is_already_stopped() -> None:
    client = client_answering(304)
    assert (await client.stop("web")).already_stopped is True


async def test_stop_http_timeout_exceeds_stop_timeout() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=ping_headers())
        seen.append(request)
        return httpx.Response(204)

    client = EngineClient("/fake.sock", transport=httpx.MockTransport(handler))
    await client.stop("web", timeout=30)
    request = seen[0]
    assert request.url.params["t"] == "30"
    assert request.extensions["timeout"]["read"] > 30


async def test_remove_image_quotes_reference_and_lists_results() -> None:
    paths: list[str] = []
    body = json.dumps([{"Untagged": "busybox:latest"}, {"Deleted": "sha256:abc"}]).encode()
    client = client_answering(200, body, paths)
    lines = await client.remove_image("localhost:5000/team/busybox:latest")
    assert paths == ["/v1.44/images/localhost:5000/team/busybox:latest"]
    assert lines == ["Untagged: busybox:latest", "Deleted: sha256:abc"]


async def test_run_image_creates_with_image_then_starts() -> None:
    requests: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=ping_headers())
        requests.append((request.method, request.url.path, request.content))
        if request.url.path.endswith("/containers/create"):
            return httpx.Response(201, json={"Id": "f" * 64, "Warnings": []})
        return httpx.Response(204)

    client = EngineClient("/fake.sock", transport=httpx.MockTransport(handler))
    assert await client.run_image("busybox") == "f" * 64
    assert requests[0][:2] == ("POST", "/v1.44/containers/create")
    assert json.loads(requests[0][2]) == {"Image": "busybox"}
    assert requests[1][:2] == ("POST", f"/v1.44/containers/{'f' * 64}/start")


def client_returning(body: bytes, content_type: str = "application/json") -> EngineClient:
    """An EngineClient whose engine pings fine and answers every other call with 200 `body`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers=ping_headers())
        return httpx.Response(200, content=body, headers={"Content-Type": content_type})

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("call", "body", "detail"),
    [
        ("list_containers", b"<html>proxy error</html>", "something that is not JSON: '<html>"),
        ("list_containers", b'{"Id": "x"}', "JSON dict where an array was expected"),
        ("list_containers", b'["web", "db"]', "JSON of an unexpected shape"),
        ("list_images", b"OK", "something that is not JSON: 'OK'"),
        ("list_images", b"[1, 2]", "JSON of an unexpected shape"),
        ("info", b"[]", "JSON list where an object was expected"),
        ("info", b'{"RegistryConfig": "none"}', "JSON of an unexpected shape"),
        ("version", b'{"Platform": "docker"}', "JSON of an unexpected shape"),
        ("version", b"", "something that is not JSON: ''"),
    ],
)
async def test_non_docker_json_becomes_a_server_error(call: str, body: bytes, detail: str) -> None:
    client = client_returning(body, "text/html" if body.startswith(b"<") else "application/json")
    with pytest.raises(ServerError) as caught:
        await getattr(client, call)()
    message = str(caught.value)
    assert message.startswith("unexpected response from the engine: GET /v1.44/")
    assert detail in message


async def test_create_answer_without_id_becomes_a_server_error() -> None:
    with pytest.raises(ServerError, match="unexpected response from the engine: POST "):
        await client_returning(b'{"Warnings": []}').run_image("busybox")


async def test_remove_image_answer_of_the_wrong_shape_becomes_a_server_error() -> None:
    with pytest.raises(ServerError, match="unexpected shape"):
        await client_returning(b'["Untagged: busybox"]').remove_image("busybox")


async def test_null_list_body_is_an_empty_list() -> None:
    assert await client_returning(b"null").list_containers() == []
