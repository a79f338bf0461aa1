"""Edge cases of the container verbs: failed starts, restarts, users, clients that vanish."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import docker
import httpx
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


def _create(client: httpx.Client, body: dict[str, object]) -> str:
    response = client.post("/containers/create", json={"Image": "busybox", **body})
    assert response.status_code == 201, response.text
    return str(response.json()["Id"])


def test_run_rm_with_a_missing_executable_fails_fast_and_leaves_nothing(
    engine: EngineProcess, client: httpx.Client
) -> None:
    started = time.monotonic()
    result = engine.docker("run", "--rm", "busybox", "/no/such/program", timeout=30)
    assert result.returncode == 127
    assert "/no/such/program" in result.stderr
    assert time.monotonic() - started < 20
    assert client.get("/containers/json", params={"all": "1"}).json() == []


def test_restart_keeps_an_auto_remove_container(client: httpx.Client) -> None:
    container_id = _create(client, {"Cmd": ["sleep", "300"], "HostConfig": {"AutoRemove": True}})
    try:
        assert client.post(f"/containers/{container_id}/start").status_code == 204
        restarted = client.post(f"/containers/{container_id}/restart", params={"t": "0"})
        assert restarted.status_code == 204, restarted.text
        state = client.get(f"/containers/{container_id}/json").json()["State"]
        assert state["Running"] is True
    finally:
        client.delete(f"/containers/{container_id}", params={"force": "1"})
    assert client.get(f"/containers/{container_id}/json").status_code == 404


def test_wait_next_exit_ends_when_the_container_is_removed(client: httpx.Client) -> None:
    container_id = _create(client, {"Cmd": ["true"]})
    answers: list[httpx.Response] = []

    def wait() -> None:
        answers.append(
            client.post(f"/containers/{container_id}/wait", params={"condition": "next-exit"})
        )

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    assert client.delete(f"/containers/{container_id}").status_code == 204
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert answers[0].json() == {"StatusCode": 0}


def test_user_option_sets_the_process_ids(engine: EngineProcess, client: httpx.Client) -> None:
    by_ids = engine.docker("run", "--rm", "-u", "1000:1000", "busybox", "id")
    assert by_ids.stdout.startswith("uid=1000 gid=1000"), by_ids.stderr
    by_name = engine.docker("run", "--rm", "-u", "nobody", "busybox", "id", "-u")
    assert by_name.stdout.strip() == "65534", by_name.stderr
    unknown = engine.docker("run", "--rm", "-u", "nosuchuser", "busybox", "id")
    assert unknown.returncode != 0
    assert "unable to find user nosuchuser" in unknown.stderr


def test_ps_last_shows_a_stopped_container(engine: EngineProcess) -> None:
    run = engine.docker("run", "--name", "latest-one", "busybox", "true")
    try:
        assert run.returncode == 0, run.stderr
        assert engine.docker("ps", "-l", "--format", "{{.Names}}").stdout.strip() == "latest-one"
    finally:
        engine.docker("rm", "-f", "latest-one")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Labels": ["a"]}, "Labels must be an object"),
        ({"HostConfig": {"AutoRemove": "false"}}, "HostConfig.AutoRemove must be true or false"),
        ({"HostConfig": {"LogConfig": "x"}}, "HostConfig.LogConfig must be an object"),
        ({"Tty": "yes"}, "Tty must be true or false"),
        ({"HostConfig": {"ConsoleSize": [24]}}, "HostConfig.ConsoleSize must be [height, width]"),
        ({"HostConfig": {"ConsoleSize": [24, 80]}}, "HostConfig.ConsoleSize sizes a terminal"),
    ],
)
def test_create_refuses_wrongly_typed_fields(
    client: httpx.Client, body: dict[str, object], message: str
) -> None:
    response = client.post("/containers/create", json={"Image": "busybox", **body})
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_stop_and_forced_remove_publish_docker_events(client: httpx.Client) -> None:
    since = int(time.time()) - 1
    container_id = _create(client, {"Cmd": ["sleep", "300"]})
    client.post(f"/containers/{container_id}/start")
    client.post(f"/containers/{container_id}/stop", params={"t": "0"})
    client.post(f"/containers/{container_id}/start")
    client.delete(f"/containers/{container_id}", params={"force": "1"})
    events = client.get(
        "/events",
        params={
            "since": str(since),
            "until": str(int(time.time()) + 1),
            "filters": json.dumps({"container": [container_id]}),
        },
    )
    actions = [json.loads(line)["Action"] for line in events.text.splitlines()]
    assert actions == [
        "create", "start", "kill", "kill", "die", "stop", "start", "kill", "die", "destroy",
    ]  # fmt: skip


def test_a_client_that_vanishes_mid_start_leaves_a_consistent_container(
    engine: EngineProcess, client: httpx.Client
) -> None:
    container_id = _create(client, {"Cmd": ["sleep", "300"]})
    try:
        with pytest.raises(httpx.TimeoutException), engine.client(timeout=0.005) as hasty:
            hasty.post(f"/containers/{container_id}/start")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = client.get(f"/containers/{container_id}/json").json()["State"]
            if state["Running"]:
                break
            time.sleep(0.05)
        assert state["Running"] is True and state["Pid"] > 0
        assert client.post(f"/containers/{container_id}/stop", params={"t": "0"}).status_code == 204
        assert client.get(f"/containers/{container_id}/json").json()["State"]["Status"] == "exited"
    finally:
        client.delete(f"/containers/{container_id}", params={"force": "1"})


def test_docker_py_attach_without_stream_replays_and_returns(engine: EngineProcess) -> None:
    assert engine.docker("pull", "busybox").returncode == 0
    api = docker.APIClient(base_url=engine.host, version="auto", timeout=30)
    container = api.create_container("busybox", ["sh", "-c", "echo attached"])
    try:
        assert api.attach(container["Id"], stream=False, logs=True) == b""
        api.start(container["Id"])
        assert api.wait(container["Id"])["StatusCode"] == 0
        assert api.attach(container["Id"], stream=False, logs=True) == b"attached\n"
    finally:
        api.remove_container(container["Id"], force=True)
        api.close()


def test_process_checks_run_as_the_cli_sees_them(engine: EngineProcess) -> None:
    result = subprocess.run(
        ["docker", "run", "--rm", "busybox", "sh", "-c", "cat /proc/self/status"],
        env=engine.docker_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    fields = dict(line.split(":\t", 1) for line in result.stdout.splitlines() if ":\t" in line)
    assert fields["Seccomp"].strip() == "2"
    assert fields["NoNewPrivs"].strip() == "0"
    assert fields["CapEff"].strip() == "00000000a80425fb"
