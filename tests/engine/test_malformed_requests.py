"""No request, however malformed, stops the engine or leaves anything behind."""

from __future__ import annotations

import re
import socket

import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine

RAW_REQUESTS = [
    b"\x00\xff\x13garbage\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"POST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n{",
    b"GET /containers/json?filters=%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
]


def _send_raw(path: str, payload: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(3)
        conn.connect(path)
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        try:
            return conn.recv(4096)
        except TimeoutError:
            return b""


def test_garbage_on_the_socket(engine: EngineProcess) -> None:
    for payload in RAW_REQUESTS:
        answer = _send_raw(str(engine.socket), payload)
        assert answer == b"" or re.match(rb"HTTP/1\.[01] 4\d\d ", answer), answer[:80]
    with engine.client() as client:
        assert client.get("/_ping").text == "OK"
    assert engine.process is not None and engine.process.poll() is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/containers/create?name=%00bad", {"Image": "busybox"}),
        ("POST", "/containers/create", {"Image": 42}),
        ("POST", "/containers/create", {"Image": "busybox", "HostConfig": "x"}),
        ("POST", "/containers/create", {"Image": "busybox", "Env": ["=nokey"], "Cmd": ["true"]}),
        ("POST", "/containers/x/stop?t=soon", None),
        ("POST", "/containers/x/kill?signal=SIGNOPE", None),
        ("GET", "/containers/json?limit=many", None),
        ("GET", "/containers/json?filters=%7B%22name%22%3A%5B%22%28%22%5D%7D", None),
        ("GET", "/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D", None),
        ("GET", "/containers/x/logs?stdout=1&tail=lots", None),
        ("POST", "/images/create?fromImage=../../etc/passwd", None),
        ("POST", "/images/create", None),
        ("GET", "/images/..%2F..%2Fetc/json", None),
        ("DELETE", "/images/sha256:zzzz", None),
        ("POST", "/images/busybox/tag?repo=UPPER&tag=x", None),
    ],
)
def test_bad_requests_get_4xx_json(
    engine: EngineProcess, method: str, path: str, body: object
) -> None:
    engine.docker("pull", "busybox")
    with engine.client() as client:
        before = client.get("/containers/json", params={"all": "1"}).json()
        response = client.request(method, path, json=body)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["message"]
        assert client.get("/containers/json", params={"all": "1"}).json() == before
        assert client.get("/_ping").text == "OK"
