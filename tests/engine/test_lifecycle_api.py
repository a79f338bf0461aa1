"""Lifecycle through the raw API: wait conditions, restart, filters, socket, host check."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


def _create(client: httpx.Client, *cmd: str, name: str | None = None) -> str:
    params = {"name": name} if name else {}
    response = client.post(
        "/v1.44/containers/create", params=params, json={"Image": "busybox", "Cmd": list(cmd)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["Id"])


def test_socket_is_group_readable_only(engine: EngineProcess) -> None:
    assert stat.S_IMODE(os.stat(engine.socket).st_mode) == 0o660


def test_wait_not_running_answers_at_once_for_an_exited_container(client: httpx.Client) -> None:
    container_id = _create(client, "sh", "-c", "exit 4")
    try:
        assert client.post(f"/containers/{container_id}/start").status_code == 204
        waited = client.post(f"/containers/{container_id}/wait")
        assert waited.json() == {"StatusCode": 4}
        state = client.get(f"/containers/{container_id}/json").json()["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 4)
        again = client.post(f"/containers/{container_id}/wait", timeout=5)
        assert again.json() == {"StatusCode": 4}
        bad = client.post(f"/containers/{container_id}/wait", params={"condition": "sometime"})
        assert bad.status_code == 400
        assert bad.json()["message"] == 'invalid condition: "sometime"'
    finally:
        client.delete(f"/containers/{container_id}", params={"force": "1"})


def test_restart_starts_a_new_run(client: httpx.Client) -> None:
    container_id = _create(client, "sleep", "300")
    try:
        client.post(f"/containers/{container_id}/start")
        first = client.get(f"/containers/{container_id}/json").json()["State"]
        assert (
            client.post(f"/containers/{container_id}/restart", params={"t": "1"}).status_code == 204
        )
        second = client.get(f"/containers/{container_id}/json").json()["State"]
        assert second["Running"] is True
        assert second["StartedAt"] != first["StartedAt"]
        assert second["Pid"] != first["Pid"]
    finally:
        client.delete(f"/containers/{container_id}", params={"force": "1"})


def test_list_filters_by_status_name_and_id(client: httpx.Client) -> None:
    running = _create(client, "sleep", "300", name="filter-running")
    created = _create(client, "true", name="filter-created")
    try:
        client.post(f"/containers/{running}/start")

        def ids(**params: str) -> list[str]:
            return [c["Id"] for c in client.get("/containers/json", params=params).json()]

        assert running in ids() and created not in ids()
        assert created in ids(all="1")
        assert ids(all="1", filters='{"status":["created"],"name":["filter-"]}') == [created]
        assert ids(filters='{"name":{"filter-running":true}}') == [running]
        assert ids(all="1", filters=f'{{"id":["{created[:10]}"]}}') == [created]
        summary = client.get("/containers/json", params={"filters": f'{{"id":["{running}"]}}'})
        entry = summary.json()[0]
        assert entry["Names"] == ["/filter-running"]
        assert entry["State"] == "running" and entry["Status"].startswith("Up ")
        assert entry["Command"] == "sleep 300"
    finally:
        for container_id in (running, created):
            client.delete(f"/containers/{container_id}", params={"force": "1"})


def test_info_reports_mirrors_and_insecure_registries(engine: EngineProcess, registry: str) -> None:
    info = engine.docker("info")
    assert info.returncode == 0, info.stderr
    assert "Registry Mirrors:" in info.stdout
    assert registry in info.stdout
    assert registry.removeprefix("http://") in info.stdout


def test_failed_host_check_exits_with_one_line_per_problem(tmp_path: Path) -> None:
    socket = tmp_path / "engine.sock"
    result = subprocess.run(
        [sys.executable, "-m", "tuibox.engine", "--socket", str(socket),
         "--exec-root", str(tmp_path / "run"), "--data-root", str(tmp_path / "data"),
         "--config", "/dev/null"],
        env={**os.environ, "PATH": "/nonexistent"}, capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("tuibox engine: crun is not installed") for line in lines)
    assert any("conmon is not installed" in line for line in lines)
    assert all("fix:" in line for line in lines)
    assert not socket.exists()


def test_events_replay_a_container_lifecycle(client: httpx.Client) -> None:
    since = int(time.time()) - 1
    container_id = _create(client, "true")
    client.post(f"/containers/{container_id}/start")
    client.post(f"/containers/{container_id}/wait")
    client.delete(f"/containers/{container_id}")
    until = int(time.time()) + 1
    response = client.get(
        "/events",
        params={
            "since": str(since),
            "until": str(until),
            "filters": json.dumps({"container": [container_id]}),
        },
    )
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["Action"] for e in events] == ["create", "start", "die", "destroy"]
    assert events[2]["Actor"]["Attributes"]["exitCode"] == "0"
    assert all(e["Type"] == "container" and e["id"] == container_id for e in events)


def test_data_root_is_for_root_only(engine: EngineProcess) -> None:
    assert stat.S_IMODE(os.stat(engine.data_root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(engine.exec_root).st_mode) == 0o711
