"""Tests the client's pull, push, tag, prune, connect, login and browse calls (what they send
and how they read the answers) and the progress model over Docker's stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tuibox.client import EngineClient
from tuibox.client.errors import NotFoundError, UnauthorizedError
from tuibox.client.progress import ProgressEvent, TransferProgress
from tuibox.client.references import reference_problem, split_reference
from tuibox.client.registries import RegistryState

Handler = Callable[[httpx.Request], httpx.Response]


def engine(handler: Handler) -> tuple[EngineClient, list[httpx.Request]]:
    """A client whose engine answers /_ping (API 1.44) and hands the rest to `handler`."""
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers={"Api-Version": "1.44"})
        seen.append(request)
        return handler(request)

    return EngineClient("/fake.sock", transport=httpx.MockTransport(route)), seen


def lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(message).encode() + b"\r\n" for message in messages)


PULL_STREAM = lines(
    {"status": "Pulling from library/busybox", "id": "1.36"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Downloading", "progressDetail": {"current": 1000, "total": 4000},
     "progress": "[====>   ]", "id": "a1b2c3d4e5f6"},
    {"status": "Digest: sha256:" + "9a" * 32},
    {"errorDetail": {"message": "unexpected EOF"}, "error": "unexpected EOF"},
)  # fmt: skip


async def test_a_pull_sends_name_tag_and_platform_and_yields_each_line() -> None:
    client, seen = engine(lambda request: httpx.Response(200, content=PULL_STREAM))
    events = [e async for e in client.pull_image("localhost:5000/busybox:1.36", "linux/arm64")]
    assert seen[0].method == "POST" and seen[0].url.path == "/v1.44/images/create"
    assert dict(seen[0].url.params) == {"fromImage": "localhost:5000/busybox", "tag": "1.36",
                                        "platform": "linux/arm64"}  # fmt: skip
    assert events[2] == ProgressEvent("Downloading", "a1b2c3d4e5f6", 1000, 4000)
    assert events[-1].error == "unexpected EOF"
    assert len(events) == 5


async def test_a_refused_pull_raises_the_engine_s_error() -> None:
    client, _ = engine(lambda request: httpx.Response(
        404, json={"message": "manifest for busybox:nope not found: manifest unknown"}))
    with pytest.raises(NotFoundError, match="manifest unknown"):
        _ = [e async for e in client.pull_image("busybox:nope")]


async def test_a_push_names_the_repository_in_the_path_and_the_tag_in_the_query() -> None:
    stream = lines({"status": "The push refers to repository [localhost:5000/app]"},
                   {"aux": {"Tag": "v1", "Digest": "sha256:" + "7c" * 32, "Size": 739}})
    client, seen = engine(lambda request: httpx.Response(200, content=stream))
    events = [e async for e in client.push_image("localhost:5000/app:v1")]
    assert seen[0].url.path == "/v1.44/images/localhost:5000/app/push"
    assert dict(seen[0].url.params) == {"tag": "v1"}
    assert "X-Registry-Auth" not in seen[0].headers
    assert events[-1].aux == {"Tag": "v1", "Digest": "sha256:" + "7c" * 32, "Size": 739}


async def test_tag_and_prune_send_what_the_docker_cli_sends() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/prune"):
            return httpx.Response(200, json={"ImagesDeleted": [{"Untagged": "a:1"},
                                  {"Deleted": "sha256:" + "f" * 64}], "SpaceReclaimed": 42})
        return httpx.Response(201)

    client, seen = engine(answer)
    await client.tag_image("busybox:latest", "localhost:5000/team/busybox:v2")
    assert seen[0].url.path == "/v1.44/images/busybox:latest/tag"
    assert dict(seen[0].url.params) == {"repo": "localhost:5000/team/busybox", "tag": "v2"}
    result = await client.prune_images(all=True)
    assert json.loads(seen[1].url.params["filters"]) == {"dangling": ["false"]}
    assert result.lines == ("Untagged: a:1", "Deleted: sha256:" + "f" * 64)
    assert result.space_reclaimed == 42
    await client.prune_images()
    assert json.loads(seen[2].url.params["filters"]) == {"dangling": ["true"]}


async def test_connect_and_disconnect_send_docker_s_bodies() -> None:
    client, seen = engine(lambda request: httpx.Response(200))
    await client.connect_network("front", "web", aliases=["shop"], ipv4="10.5.0.9")
    await client.connect_network("front", "db")
    await client.disconnect_network("front", "web", force=True)
    assert [json.loads(r.content) for r in seen] == [
        {"Container": "web", "EndpointConfig": {"Aliases": ["shop"],
                                                "IPAMConfig": {"IPv4Address": "10.5.0.9"}}},
        {"Container": "db", "EndpointConfig": {"Aliases": []}},
        {"Container": "web", "Force": True},
    ]  # fmt: skip
    assert [r.url.path for r in seen][-1] == "/v1.44/networks/front/disconnect"


async def test_login_posts_docker_s_auth_body_and_a_refusal_is_unauthorized() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["password"] == "right":
            return httpx.Response(200, json={"Status": "Login Succeeded", "IdentityToken": ""})
        return httpx.Response(401, json={"message": "unauthorized: incorrect username or "
                                                    "password"})  # fmt: skip

    client, seen = engine(answer)
    assert await client.login("localhost:5000", "alice", "right") == "Login Succeeded"
    assert json.loads(seen[0].content) == {"username": "alice", "password": "right",
                                           "serveraddress": "localhost:5000"}  # fmt: skip
    with pytest.raises(UnauthorizedError, match="incorrect username or password"):
        await client.login("localhost:5000", "alice", "wrong")
    assert seen[0].url.path == "/v1.44/auth"


async def test_logout_deletes_the_engine_s_login_outside_the_version_prefix() -> None:
    client, seen = engine(lambda request: httpx.Response(204))
    await client.logout("localhost:5000")
    assert (seen[0].method, seen[0].url.path) == ("DELETE", "/tuibox/v1/auth/localhost:5000")


async def test_registries_read_either_shape_and_none_from_an_engine_without_them() -> None:
    answers = iter([
        httpx.Response(200, json=[{"address": "docker.io", "logged_in": False},
                                  {"address": "localhost:5000", "logged_in": True,
                                   "username": "alice"}]),
        httpx.Response(200, json={"Registries": [{"address": "quay.io", "role": "login",
                                                  "secure": True, "logged_in": True,
                                                  "username": "bob",
                                                  "login_source": "config.json"}]}),
        httpx.Response(404, json={"message": "page not found"}),
    ])  # fmt: skip
    client, seen = engine(lambda request: next(answers))
    first = await client.list_registries()
    assert first is not None and [(r.address, r.logged_in, r.username) for r in first] == [
        ("docker.io", False, ""), ("localhost:5000", True, "alice")]
    second = await client.list_registries()
    assert second is not None and second[0] == RegistryState(
        "quay.io", "login", logged_in=True, username="bob", source="config.json")
    assert await client.list_registries() is None
    assert seen[0].url.path == "/tuibox/v1/registries"  # an extension: no version prefix


async def test_catalog_and_tags_pages() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/catalog"):
            return httpx.Response(200, json={"Repositories": ["a", "b"], "Next": "b"})
        return httpx.Response(200, json={"Tags": [
            {"Tag": "1.36", "Digest": "sha256:" + "36" * 32, "Size": 2160000,
             "Platforms": ["linux/amd64"], "Created": "2025-06-15T15:06:40Z"}], "Next": None})

    client, seen = engine(answer)
    page = await client.registry_catalog("localhost:5000", last="a0", n=2)
    assert page.repositories == ("a", "b") and page.next == "b"
    assert seen[0].url.path == "/tuibox/v1/registries/localhost:5000/catalog"
    assert dict(seen[0].url.params) == {"n": "2", "last": "a0"}
    tags = await client.registry_tags("localhost:5000", "team/app")
    assert seen[1].url.path == "/tuibox/v1/registries/localhost:5000/repositories/team/app/tags"
    assert tags.next is None and tags.tags[0].created == 1_750_000_000.0
    assert tags.tags[0].platforms == ("linux/amd64",)


async def test_a_registry_that_does_not_answer_the_catalog_is_an_error() -> None:
    client, _ = engine(lambda request: httpx.Response(404, json={"message": "no catalog"}))
    with pytest.raises(NotFoundError, match="no catalog"):
        await client.registry_catalog("localhost:5000")


def test_progress_tracks_phases_bytes_and_rate_per_layer() -> None:
    progress = TransferProgress()
    first = "a1b2c3d4e5f6"
    progress.apply(ProgressEvent("Pulling from library/busybox", "latest"), 0.0)
    progress.apply(ProgressEvent("Pulling fs layer", first), 0.0)
    progress.apply(ProgressEvent("Downloading", first, 1_000_000, 4_000_000), 1.0)
    progress.apply(ProgressEvent("Downloading", first, 3_000_000, 4_000_000), 2.0)
    layer = progress.layers[first]
    assert (layer.phase, layer.current, layer.total) == ("Downloading", 3_000_000, 4_000_000)
    assert layer.rate() == 2_000_000.0 and layer.fraction == 0.75
    progress.apply(ProgressEvent("Verifying Checksum", first), 2.5)
    assert layer.rate() == 0.0 and layer.total == 4_000_000
    progress.apply(ProgressEvent("Pull complete", first), 3.0)
    assert layer.done and layer.fraction == 1.0 and progress.complete_layers == 1
    progress.apply(ProgressEvent("Digest: sha256:" + "9a" * 32), 3.0)
    assert progress.header == ["latest: Pulling from library/busybox"]
    assert progress.footer == ["Digest: sha256:" + "9a" * 32]
    progress.apply(ProgressEvent(error="toomanyrequests"), 3.0)
    assert progress.error == "toomanyrequests"


def test_the_rate_is_over_the_last_seconds_only() -> None:
    progress = TransferProgress()
    for second in range(10):  # 1 kB/s for 5 s, then 10 kB/s
        done = sum(1_000 if s < 5 else 10_000 for s in range(second + 1))
        progress.apply(ProgressEvent("Downloading", "a1b2c3d4e5f6", done, 100_000), second)
    assert progress.layers["a1b2c3d4e5f6"].rate() == 10_000.0


@pytest.mark.parametrize(("reference", "split"), [
    ("busybox", ("busybox", "latest")),
    ("localhost:5000/busybox", ("localhost:5000/busybox", "latest")),
    ("localhost:5000/busybox:1.36", ("localhost:5000/busybox", "1.36")),
    ("busybox@sha256:" + "ab" * 32, ("busybox", "sha256:" + "ab" * 32)),
    ("busybox:1.36@sha256:" + "ab" * 32, ("busybox", "sha256:" + "ab" * 32)),
])  # fmt: skip
def test_split_reference(reference: str, split: tuple[str, str]) -> None:
    assert split_reference(reference) == split


@pytest.mark.parametrize(("reference", "problem"), [
    ("busybox:1.36", None),
    ("localhost:5000/team/app:v1", None),
    ("Busybox", "invalid reference format: repository name (Busybox) must be lowercase"),
    ("localhost:5000/Team/app", "invalid reference format: repository name "
                                "(localhost:5000/Team/app) must be lowercase"),
    ("busy box", "invalid reference format"),
    ("busybox:", "invalid reference format"),
    ("busybox:-x", "invalid reference format"),
    ("busybox@sha256:12", "invalid reference format"),
])  # fmt: skip
def test_reference_problem(reference: str, problem: str | None) -> None:
    assert reference_problem(reference) == problem
