"""Details where the engine now behaves as Docker does, found by trying it as a new user."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine

Client = TestClient[Any, Any]


async def error(response: Any, status: int) -> str:
    assert response.status == status, await response.text()
    assert response.headers["Content-Type"] == "application/json"
    message: str = (await response.json())["message"]
    return message


def bundle_env(engine: Engine, container_id: str) -> dict[str, str]:
    config = json.loads((engine.context.paths(container_id).bundle / "config.json").read_text())
    return dict(entry.split("=", 1) for entry in config["process"]["env"])


async def test_home_comes_from_the_images_passwd(engine: Engine) -> None:
    as_app = await engine.run("true", User="app")
    assert bundle_env(engine, as_app)["HOME"] == "/home/app"
    as_uid = await engine.run("true", User="4242")
    assert bundle_env(engine, as_uid)["HOME"] == "/"
    as_root = await engine.run("true")
    assert bundle_env(engine, as_root)["HOME"] == "/root"
    given = await engine.run("true", User="app", Env=["HOME=/data"])
    assert bundle_env(engine, given)["HOME"] == "/data"


async def test_pull_tag_untag_and_delete_publish_image_events(
    engine: Engine, api: Client
) -> None:
    since = f"{time.time():.9f}"
    tagged = await api.post("/images/busybox/tag", params={"repo": "mine", "tag": "1"})
    assert tagged.status == 201
    assert (await api.delete("/images/mine:1")).status == 200
    response = await api.get("/events", params={
        "since": since, "until": f"{time.time():.9f}",
        "filters": json.dumps({"type": ["image"]}),
    })  # fmt: skip
    events = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in events] == [
        ("tag", "mine:1"), ("untag", "mine:1"),
    ]
    engine.actions("")  # gathers every event published so far, the fixture's pull among them
    pulled = [e for e in engine.events if e.type == "image" and e.action == "pull"]
    assert [(e.actor_id, e.attributes["name"]) for e in pulled] == [("busybox:latest", "busybox")]


async def test_the_reference_filter_lists_only_the_matching_tags(
    engine: Engine, api: Client
) -> None:
    await api.post("/images/busybox/tag", params={"repo": "localhost:5000/x/y", "tag": "z"})
    filters = json.dumps({"reference": ["busybox"]})
    listed = await (await api.get("/images/json", params={"filters": filters})).json()
    assert [image["RepoTags"] for image in listed] == [["busybox:latest"]]


async def test_the_ancestor_filter_resolves_references_to_the_image(
    engine: Engine, api: Client
) -> None:
    await api.post("/images/busybox/tag", params={"repo": "other", "tag": "1"})
    container_id = await engine.create("true", Image="other:1")
    image_id = engine.record(container_id).image_id
    for ancestor in ("busybox", "busybox:latest", "docker.io/library/busybox", "other:1",
                     image_id, image_id[7:19]):  # fmt: skip
        listed = await (await api.get("/containers/json", params={
            "all": "1", "filters": json.dumps({"ancestor": [ancestor]})})).json()  # fmt: skip
        assert [c["Id"] for c in listed] == [container_id], ancestor
    unknown = await api.get("/containers/json", params={
        "all": "1", "filters": json.dumps({"ancestor": ["nope"]})})  # fmt: skip
    assert await unknown.json() == []


async def test_names_match_with_and_without_their_slash(engine: Engine, api: Client) -> None:
    container_id = await engine.create("true", name="web")
    for pattern in ("^/web$", "^web$", "eb"):
        listed = await (await api.get("/containers/json", params={
            "all": "1", "filters": json.dumps({"name": [pattern]})})).json()  # fmt: skip
        assert [c["Id"] for c in listed] == [container_id], pattern


@pytest.mark.parametrize(
    ("name", "number"),
    [("SIGRTMIN+3", signal.SIGRTMIN + 3), ("RTMAX-1", signal.SIGRTMAX - 1), ("RTMIN", 34)],
)
async def test_real_time_signals_with_an_offset(engine: Engine, name: str, number: int) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.kill(container_id, name)
    assert engine.runtime.signals_sent(container_id)[-1] == number


async def test_events_since_and_until_compare_nanoseconds(engine: Engine, api: Client) -> None:
    container_id = await engine.create("true")
    created_ns = next(e for e in engine.context.events.recent if e.actor_id == container_id).time_ns
    seconds, nanos = divmod(created_ns, 1_000_000_000)

    async def replayed(since: str, until: str) -> int:
        response = await api.get("/events", params={"since": since, "until": until})
        return len((await response.text()).splitlines())

    assert await replayed(f"{seconds}.{nanos:09d}", f"{time.time():.9f}") >= 1
    after = f"{seconds}.{min(nanos + 1, 999_999_999):09d}"
    assert await replayed(after, f"{time.time():.9f}") == 0 or nanos == 999_999_999


async def test_events_match_a_container_name_prefix(engine: Engine, api: Client) -> None:
    await engine.create("true", name="prefixed-web")
    response = await api.get("/events", params={
        "since": "0", "until": f"{time.time():.9f}",
        "filters": json.dumps({"container": ["prefixed"]})})  # fmt: skip
    assert len((await response.text()).splitlines()) == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"Env": "A=1"}, "Env must be a list of strings"),
        ({"HostConfig": {"RestartPolicy": {"Name": "no", "MaximumRetryCount": 5}}},
         "maximum retry count can only be used with 'on-failure'"),
    ],
)  # fmt: skip
async def test_create_bodies_docker_refuses(
    api: Client, body: dict[str, Any], fragment: str
) -> None:
    full = {"Image": "busybox", "Cmd": ["true"], **body}
    response = await api.post("/containers/create", json=full)
    assert fragment in await error(response, 400)


async def test_a_create_body_must_be_sent_as_json(api: Client) -> None:
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]})
    headers = {"Content-Type": "text/plain"}
    response = await api.post("/containers/create", data=body, headers=headers)
    assert "unsupported Content-Type header (text/plain)" in await error(response, 400)


async def test_no_healthcheck_is_kept_in_the_config(engine: Engine, api: Client) -> None:
    container_id = await engine.create("true", Healthcheck={"Test": ["NONE"]})
    inspected = await (await api.get(f"/containers/{container_id}/json")).json()
    assert inspected["Config"]["Healthcheck"] == {"Test": ["NONE"]}


async def test_routes_the_engine_lacks_say_so(api: Client) -> None:
    message = await error(await api.get("/v1.44/swarm"), 404)
    assert message == "page not found: the tuibox engine has no GET /v1.44/swarm"


@pytest.mark.parametrize("platform", ["bogus", "linux/bogusarch", "beos/amd64"])
async def test_import_refuses_unknown_platforms(api: Client, platform: str) -> None:
    response = await api.post("/images/create", params={"fromSrc": "-", "platform": platform},
                              data=b"\0" * 1024)  # fmt: skip
    assert "unknown operating system or architecture" in await error(response, 400)
