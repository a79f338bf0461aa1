"""Bad input through the raw API: clear messages, the right status, nothing left behind."""

from __future__ import annotations

import httpx
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine

JSON = "application/json"


def _assert_error(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    assert fragment in response.json()["message"]


def _container_count(client: httpx.Client) -> int:
    return len(client.get("/containers/json", params={"all": "1"}).json())


def test_invalid_reference_is_400(engine: EngineProcess) -> None:
    with engine.client() as client:
        response = client.post(
            "/v1.44/images/create", params={"fromImage": "Bad//Name", "tag": "x"}
        )
        _assert_error(response, 400, "invalid reference format")
        before = _container_count(client)
        response = client.post("/v1.44/containers/create", json={"Image": "Bad//Name"})
        assert response.status_code == 400
        assert _container_count(client) == before


def test_unknown_image_is_404_and_creates_nothing(engine: EngineProcess) -> None:
    with engine.client() as client:
        before = _container_count(client)
        response = client.post("/v1.44/containers/create", json={"Image": "nothing-here:v9"})
        _assert_error(response, 404, "No such image: nothing-here:v9")
        assert _container_count(client) == before
        _assert_error(client.get("/images/nothing-here:v9/json"), 404, "No such image")


def test_unknown_container_is_404_everywhere(engine: EngineProcess) -> None:
    with engine.client() as client:
        for method, path in [
            ("GET", "/containers/ghost/json"),
            ("POST", "/containers/ghost/start"),
            ("POST", "/containers/ghost/stop"),
            ("DELETE", "/containers/ghost"),
            ("GET", "/containers/ghost/logs?stdout=1"),
            ("POST", "/containers/ghost/wait"),
        ]:
            _assert_error(client.request(method, path), 404, "No such container: ghost")


def test_duplicate_name_is_409(engine: EngineProcess) -> None:
    engine.docker("pull", "busybox")
    with engine.client() as client:
        first = client.post(
            "/containers/create", params={"name": "dup"}, json={"Image": "busybox", "Cmd": ["true"]}
        )
        assert first.status_code == 201, first.text
        try:
            before = _container_count(client)
            second = client.post(
                "/containers/create",
                params={"name": "dup"},
                json={"Image": "busybox", "Cmd": ["true"]},
            )
            _assert_error(second, 409, 'The container name "/dup" is already in use')
            assert _container_count(client) == before
        finally:
            client.delete(f"/containers/{first.json()['Id']}", params={"force": "1"})


def test_start_running_is_304_and_rm_running_is_409(engine: EngineProcess) -> None:
    engine.docker("pull", "busybox")
    with engine.client() as client:
        created = client.post(
            "/containers/create", json={"Image": "busybox", "Cmd": ["sleep", "300"]}
        )
        container_id = created.json()["Id"]
        try:
            assert client.post(f"/containers/{container_id}/start").status_code == 204
            again = client.post(f"/containers/{container_id}/start")
            assert again.status_code == 304
            assert again.content == b""
            _assert_error(
                client.delete(f"/containers/{container_id}"),
                409,
                "stop the container before removing or force remove",
            )
            assert client.get(f"/containers/{container_id}/json").json()["State"]["Running"]
            assert (
                client.post(f"/containers/{container_id}/stop", params={"t": "1"}).status_code
                == 204
            )
            assert client.post(f"/containers/{container_id}/stop").status_code == 304
        finally:
            client.delete(f"/containers/{container_id}", params={"force": "1"})
        _assert_error(client.get(f"/containers/{container_id}/json"), 404, "No such container")


def test_malformed_json_body_is_400_and_engine_lives(engine: EngineProcess) -> None:
    with engine.client() as client:
        before = _container_count(client)
        response = client.post(
            "/containers/create", content=b"{not json", headers={"Content-Type": JSON}
        )
        _assert_error(response, 400, "malformed JSON body")
        _assert_error(client.post("/containers/create", json=[1, 2]), 400, "expected an object")
        _assert_error(
            client.post("/containers/create", json={"Image": "busybox", "Cmd": 5}),
            400,
            "Cmd must be a list of strings",
        )
        assert _container_count(client) == before
        assert client.get("/_ping").text == "OK"


def test_unknown_route_and_old_version(engine: EngineProcess) -> None:
    with engine.client() as client:
        _assert_error(client.get("/v1.44/nothing/here"), 404, "page not found")
        _assert_error(client.get("/v1.12/version"), 400, "too old")
        ping = client.head("/_ping")
        assert ping.headers["Api-Version"] == "1.44"
        assert ping.headers["Ostype"] == "linux"
        assert "Docker-Experimental" in ping.headers
        assert "Builder-Version" in ping.headers
