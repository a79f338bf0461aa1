"""Input that used to break the engine: floods, deep JSON, huge fields, odd numbers, NUL bytes.

Each case answers a clear 4xx in Docker's JSON shape, leaves nothing behind, and the
engine goes on answering /_ping.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import socket
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine

JSON = "application/json"
DEEP = 1_000


def _error(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == JSON
    assert fragment in response.json()["message"], response.json()["message"]


def _raw(path: Path, payload: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(path))
        conn.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _engine_rss(engine: EngineProcess) -> int:
    assert engine.process is not None
    for line in Path(f"/proc/{engine.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _engine_fds(engine: EngineProcess) -> int:
    assert engine.process is not None
    return len(os.listdir(f"/proc/{engine.process.pid}/fd"))


def _container_ids(client: httpx.Client) -> set[str]:
    return {c["Id"] for c in client.get("/containers/json", params={"all": "1"}).json()}


@pytest.fixture
def api(engine: EngineProcess) -> Iterator[httpx.Client]:
    """A raw client; containers the test made are removed afterwards."""
    assert engine.docker("pull", "busybox").returncode == 0
    with engine.client() as client:
        before = _container_ids(client)
        yield client
        for container_id in _container_ids(client) - before:
            client.delete(f"/containers/{container_id}", params={"force": "1"})


@pytest.fixture
def refused(api: httpx.Client) -> Iterator[httpx.Client]:
    """A raw client for requests that must be refused: they may leave no container."""
    before = _container_ids(api)
    yield api
    assert _container_ids(api) == before, "a refused request left a container behind"


def test_a_flood_of_half_open_connections_never_locks_out_ping(engine: EngineProcess) -> None:
    flood: list[socket.socket] = []
    try:
        for _ in range(4_500):
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.setblocking(False)
            try:
                conn.connect(str(engine.socket))
                conn.send(b"GET /containers/json HTTP/1.1\r\nHo")
            except (BlockingIOError, ConnectionError, OSError):
                pass
            flood.append(conn)
        assert _ping_through_a_full_backlog(engine) == "OK"
        assert _engine_fds(engine) < 4_096 + 200
    finally:
        for conn in flood:
            conn.close()
    with engine.client() as client:
        assert client.get("/_ping").text == "OK"
    assert "Traceback" not in engine.log_text()


def _ping_through_a_full_backlog(engine: EngineProcess) -> str:
    """Ping as a client would: a connect the kernel's full listen queue turns away
    (EAGAIN) is tried again; once connected, the engine must answer."""
    for _ in range(100):
        try:
            with engine.client(timeout=10) as client:
                return client.get("/_ping").text
        except httpx.ConnectError:
            time.sleep(0.05)
    raise AssertionError("could not connect to the engine through the flood")


def test_http_parse_errors_answer_docker_json(engine: EngineProcess) -> None:
    cases = [
        b"GET /" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}",
        b"NOT A REQUEST LINE\r\n\r\n",
    ]
    for payload in cases:
        answer = _raw(engine.socket, payload)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ", 2)[1] in (b"400", b"431"), answer[:120]
        assert b"content-type: application/json" in head.lower(), head
        assert json.loads(body)["message"].startswith("bad request"), body


@pytest.mark.parametrize(
    ("where", "params"),
    [
        ("/containers/json", "filters"),
        ("/images/json", "filters"),
        ("/events", "filters"),
    ],
)
def test_json_nested_a_thousand_deep_in_filters_is_a_400(
    refused: httpx.Client, where: str, params: str
) -> None:
    deep = "[" * DEEP + "]" * DEEP
    _error(refused.get(where, params={params: '{"label": ' + deep + "}"}), 400, "nested too deeply")


def test_json_nested_a_thousand_deep_in_a_create_body_is_a_400(refused: httpx.Client) -> None:
    body = '{"Image": "busybox", "Labels": {"a": ' + "[" * DEEP + "]" * DEEP + "}}"
    response = refused.post("/containers/create", content=body, headers={"Content-Type": JSON})
    _error(response, 400, "nested too deeply")


def test_json_nested_a_thousand_deep_in_import_changes_is_a_400(refused: httpx.Client) -> None:
    deep = "CMD " + "[" * DEEP + "]" * DEEP
    response = refused.post(
        "/images/create", params={"fromSrc": "-", "changes": deep}, content=_tiny_tar()
    )
    _error(response, 400, "nested too deeply")


@pytest.mark.parametrize(
    ("query", "key"),
    [("since=inf", "since"), ("since=1e400", "since"), ("until=-inf", "until"),
     ("since=nan", "since"), ("until=" + "9" * 5000, "until")],
)  # fmt: skip
def test_log_times_that_are_not_numbers_are_a_400(api: httpx.Client, query: str, key: str) -> None:
    container_id = _run(api, ["true"])
    response = api.get(f"/containers/{container_id}/logs?stdout=1&{query}")
    _error(response, 400, f"invalid value for {key}")


def test_tail_minus_one_returns_every_line(api: httpx.Client) -> None:
    container_id = _run(api, ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"])
    every = api.get(f"/containers/{container_id}/logs?stdout=1&tail=all").content
    assert every.count(b"line") == 5
    assert api.get(f"/containers/{container_id}/logs?stdout=1&tail=-1").content == every
    assert api.get(f"/containers/{container_id}/logs?stdout=1&tail=2").content.count(b"line") == 2


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("Labels", {"big": "x" * (15 * 1024 * 1024)}, "Labels take"),
        ("Env", ["A=" + "x" * (200 * 1024)], "Env has an entry longer than"),
        ("Cmd", ["x" * 100_000] * 30, "argument list too long"),
        ("Hostname", "h" * 5_000, "Hostname is longer than 64 bytes"),
        ("Cmd", ["echo", "a\u0000b"], "Cmd must not contain NUL bytes"),
        ("Env", ["A=a\u0000b"], "Env must not contain NUL bytes"),
        ("WorkingDir", "/tmp\u0000/x", "WorkingDir must not contain NUL bytes"),
    ],
)
def test_oversized_or_nul_fields_are_refused_at_create(
    refused: httpx.Client, field: str, value: object, fragment: str
) -> None:
    response = refused.post("/containers/create", json={"Image": "busybox", field: value})
    _error(response, 400, fragment)


def test_listing_stays_cheap_and_ping_answers_during_a_burst(
    engine: EngineProcess, api: httpx.Client
) -> None:
    labels = {f"k{i}": "v" * 60_000 for i in range(4)}
    for _ in range(10):
        created = api.post("/containers/create", json={"Image": "busybox", "Labels": labels})
        assert created.status_code == 201, created.text

    def list_all() -> int:
        with engine.client(timeout=60) as other:
            return len(other.get("/containers/json", params={"all": "1"}).content)

    engine_rss_before = _engine_rss(engine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        listings = [pool.submit(list_all) for _ in range(200)]
        assert api.get("/_ping").text == "OK"
        answered_during_burst = not all(listing.done() for listing in listings)
        sizes = [listing.result() for listing in listings]
    assert min(sizes) > 10 * 240_000
    assert answered_during_burst
    # 200 listings of 2.4 MB at once stay far from one copy each (480 MB).
    assert _engine_rss(engine) - engine_rss_before < 200 * 1024 * 1024


@pytest.mark.parametrize(
    ("cmd", "exit_code"),
    [(["v"], 127), ([""], 127), (["/" + "a" * 5_000], 127), (["/etc"], 126)],
)
def test_a_command_that_cannot_run_is_a_400_with_dockers_exit_code(
    api: httpx.Client, cmd: list[str], exit_code: int
) -> None:
    body = {"Image": "busybox", "Cmd": cmd}
    container_id = api.post("/containers/create", json=body).json()["Id"]
    try:
        response = api.post(f"/containers/{container_id}/start")
        assert response.status_code == 400, response.text
        state = api.get(f"/containers/{container_id}/json").json()["State"]
        assert state["ExitCode"] == exit_code
        assert state["Status"] == "created"
    finally:
        api.delete(f"/containers/{container_id}")


def test_docker_run_of_a_missing_command_exits_127(engine: EngineProcess) -> None:
    result = engine.docker("run", "--rm", "busybox", "nosuchcmd")
    assert result.returncode == 127, result.stderr
    assert 'exec: "nosuchcmd": executable file not found' in result.stderr


@pytest.mark.parametrize(
    ("platform", "status", "fragment"),
    [("windows/amd64", 400, "operating system 'windows' is not supported"),
     ("a/b/c/d", 400, "invalid platform")],
)  # fmt: skip
def test_import_platform_is_checked(
    refused: httpx.Client, platform: str, status: int, fragment: str
) -> None:
    response = refused.post(
        "/images/create", params={"fromSrc": "-", "platform": platform}, content=_tiny_tar()
    )
    _error(response, status, fragment)


def test_import_platform_is_written_into_the_image(api: httpx.Client) -> None:
    response = api.post(
        "/images/create",
        params={"fromSrc": "-", "repo": "imported-arm", "platform": "linux/arm64/v8"},
        content=_tiny_tar(),
    )
    assert response.status_code == 200, response.text
    try:
        image = api.get("/images/imported-arm/json").json()
        assert (image["Os"], image["Architecture"]) == ("linux", "arm64")
        refused = api.post(
            "/containers/create", params={"platform": "linux/amd64"},
            json={"Image": "imported-arm", "Cmd": ["true"]},
        )  # fmt: skip
        _error(refused, 404, "does not match the specified platform")
    finally:
        api.delete("/images/imported-arm")


def _run(api: httpx.Client, cmd: list[str]) -> str:
    container_id: str = api.post(
        "/containers/create", json={"Image": "busybox", "Cmd": cmd}
    ).json()["Id"]
    assert api.post(f"/containers/{container_id}/start").status_code == 204
    api.post(f"/containers/{container_id}/wait")
    return container_id


def _tiny_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        data = b"hello\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
