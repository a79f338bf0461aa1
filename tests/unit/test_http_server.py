"""Connection timeouts, the connection bound and JSON parse errors of the API's HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tuibox.engine.api.errors import error_middleware
from tuibox.engine.api.http_server import (
    ConnectionLimits,
    ServedApp,
    connection_limits,
    start_unix_site,
)
from tuibox.engine.api.streams import hijack

SMALL = ConnectionLimits(max_connections=50, header_timeout=0.5, keepalive_timeout=1.0)
PING = b"GET /_ping HTTP/1.1\r\nHost: engine\r\n\r\n"


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def stream(request: web.Request) -> web.StreamResponse:
    """Like logs -f: a chunk every 0.1 s for ?seconds, then done."""
    response = web.StreamResponse()
    await response.prepare(request)
    end = time.monotonic() + float(request.query["seconds"])
    while time.monotonic() < end:
        await response.write(b"tick\n")
        await asyncio.sleep(0.1)
    await response.write(b"done\n")
    await response.write_eof()
    return response


async def attach(request: web.Request) -> web.StreamResponse:
    """The engine's own attach hijack (101 Upgrade: tcp), then raw bytes for a while."""
    connection = await hijack(request, tty=True)
    end = time.monotonic() + float(request.query["seconds"])

    async def ticks() -> AsyncIterator[bytes]:
        while time.monotonic() < end:
            yield b"tick\n"
            await asyncio.sleep(0.1)
        yield b"done\n"

    await connection.pump(ticks())
    await connection.finish()
    return connection.response


async def echo(request: web.Request) -> web.Response:
    return web.Response(text=str(len(await request.read())))


Start = Callable[..., Awaitable[tuple[Path, ServedApp]]]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    served: list[ServedApp] = []

    async def _start(limits: ConnectionLimits, **kwargs: Any) -> tuple[Path, ServedApp]:
        app = web.Application(middlewares=[error_middleware])
        app.add_routes([
            web.get("/_ping", ping), web.get("/stream", stream), web.post("/attach", attach),
            web.post("/echo", echo),
        ])
        path = tmp_path / f"s{len(served)}.sock"
        site = await start_unix_site(
            app, path, limits, handler_cancellation=True, access_log=None, **kwargs
        )
        served.append(site)
        return path, site

    yield _start
    for site in served:
        await site.stop()


def client(path: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(path)), base_url="http://engine", timeout=5
    )


async def read_to_eof(reader: asyncio.StreamReader, timeout: float = 5) -> bytes:
    return await asyncio.wait_for(reader.read(), timeout)


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server closed; a write racing the close may surface as EPIPE."""
    try:
        return await read_to_eof(reader) == b""
    except ConnectionError:
        return True


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length body, leaving the connection open."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status, headers = parse_head(head)
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 5)
    return status, headers, body


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def parse_full(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    return status, headers, body


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_limits_follow_the_file_limit() -> None:
    assert connection_limits(20000).max_connections == 4096
    assert connection_limits(4096).max_connections == 1024
    assert connection_limits(100).max_connections == 64
    assert connection_limits(-1).max_connections == 4096
    limits = connection_limits(20000)
    assert 0 < limits.header_timeout < limits.keepalive_timeout


async def test_half_open_and_silent_connections_close_after_the_header_timeout(
    start: Start,
) -> None:
    path, served = await start(SMALL)
    began = time.monotonic()
    partial_reader, partial = await asyncio.open_unix_connection(path)
    partial.write(b"GET /_pi")
    silent_reader, silent = await asyncio.open_unix_connection(path)
    drip_reader, drip = await asyncio.open_unix_connection(path)

    async def dribble() -> None:
        for byte in b"GET /_ping HTTP/1.1\r\nHost: engine\r\n":
            if drip.is_closing():
                return
            drip.write(bytes([byte]))
            await asyncio.sleep(0.05)

    dribbler = asyncio.create_task(dribble())
    for reader in (partial_reader, silent_reader, drip_reader):
        assert await closed_by_server(reader)
    elapsed = time.monotonic() - began
    assert SMALL.header_timeout * 0.8 <= elapsed < SMALL.header_timeout + 3
    dribbler.cancel()
    for writer in (partial, silent, drip):
        writer.close()
    assert served.server.timed_out_total >= 3


async def test_idle_keepalive_connection_closes_after_the_keepalive_timeout(
    start: Start,
) -> None:
    path, _ = await start(SMALL)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(PING)
    assert (await read_response(reader))[0] == 200
    # Idle past the header timeout: the next request is still answered.
    await asyncio.sleep(SMALL.header_timeout + 0.2)
    writer.write(PING)
    status, _, body = await read_response(reader)
    assert (status, body) == (200, b"OK")
    idle_since = time.monotonic()
    assert await read_to_eof(reader) == b""
    assert SMALL.keepalive_timeout * 0.8 <= time.monotonic() - idle_since
    writer.close()


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def start_attach(path: Path, seconds: float) -> Connection:
    """Attach and half-close; keep the writer referenced or its transport is closed."""
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(
        f"POST /attach?seconds={seconds} HTTP/1.1\r\nHost: engine\r\nUpgrade: tcp\r\n"
        "Connection: Upgrade\r\nContent-Length: 0\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status, headers = parse_head(head)
    assert (status, headers["upgrade"]) == (101, "tcp")
    writer.write_eof()  # the docker CLI half-closes right after the 101
    return reader, writer


async def read_stream(http: httpx.AsyncClient, seconds: float) -> bytes:
    async with http.stream("GET", "/stream", params={"seconds": seconds}) as response:
        assert response.status_code == 200
        return b"".join([chunk async for chunk in response.aiter_bytes()])


async def test_streams_and_hijacked_connections_outlive_both_timeouts(start: Start) -> None:
    path, _ = await start(SMALL)
    seconds = SMALL.keepalive_timeout * 2.5
    attached, _writer = await start_attach(path, seconds)
    async with client(path) as http:
        began = time.monotonic()
        streamed, raw = await asyncio.gather(read_stream(http, seconds), read_to_eof(attached, 10))
    assert time.monotonic() - began >= seconds * 0.9
    for output in (streamed, raw):
        assert output.endswith(b"tick\ndone\n")
        assert output.count(b"tick\n") >= seconds * 10 * 0.5


def connect(sock: socket.socket, path: Path) -> None:
    """Connect, retrying while the listen queue is full (EAGAIN on a Unix socket)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.001)


async def test_a_slow_request_body_is_not_timed_out(start: Start) -> None:
    path, _ = await start(SMALL)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: engine\r\nContent-Length: 6\r\n\r\n")
    for byte in b"abcdef":
        await asyncio.sleep(SMALL.keepalive_timeout / 4)
        writer.write(bytes([byte]))
    status, _, body = await read_response(reader)
    writer.close()
    assert (status, body) == (200, b"6")


def flood(path: Path, count: int, sockets: list[socket.socket]) -> None:
    """Open count half-open connections as fast as possible; each sends part of a line."""
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sockets.append(sock)
        sock.settimeout(5)
        connect(sock, path)
        with contextlib.suppress(OSError):  # already evicted
            sock.sendall(b"GET /_pi")


def ping_repeatedly(path: Path, stop: threading.Event, results: list[tuple[bytes, float]]) -> None:
    """A fresh client pinging over a new connection each time, with blocking sockets."""
    while not stop.is_set():
        began = time.monotonic()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            try:
                connect(sock, path)
                sock.sendall(b"GET /_ping HTTP/1.1\r\nHost: engine\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            except OSError as err:
                data = repr(err).encode()
        results.append((data, time.monotonic() - began))


async def test_a_flood_of_half_open_connections_does_not_lock_out_clients(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    limits = ConnectionLimits(max_connections=50, header_timeout=5.0, keepalive_timeout=5.0)
    path, served = await start(limits, backlog=16)
    seconds = 3.0
    attached, _writer = await start_attach(path, seconds)
    async with client(path) as http:
        streaming = asyncio.create_task(read_stream(http, seconds))
        await asyncio.sleep(0.2)
        baseline = open_fds()
        sockets: list[socket.socket] = []
        pings: list[tuple[bytes, float]] = []
        stop = threading.Event()
        flooding = asyncio.create_task(asyncio.to_thread(flood, path, 500, sockets))
        pinging = asyncio.create_task(asyncio.to_thread(ping_repeatedly, path, stop, pings))
        peak = 0
        try:
            while not flooding.done():
                peak = max(peak, open_fds() - baseline - len(sockets))
                await asyncio.sleep(0.005)
            await flooding
            stop.set()
            await pinging
            await asyncio.sleep(0.2)
            # Only the server's ends remain beyond the flood's own 500 sockets.
            settled = open_fds() - baseline - len(sockets)
            assert settled <= limits.max_connections
            assert served.server.open_connections <= limits.max_connections
            assert served.server.evicted_total >= 400
            response = await http.get("/_ping")
            assert (response.status_code, response.text) == (200, "OK")
        except BaseException:
            streaming.cancel()
            raise
        finally:
            stop.set()
            for sock in sockets:
                sock.close()
        streamed = await streaming
    raw = await read_to_eof(attached, 10)
    assert len(sockets) == 500
    # The flood's sockets and a pinger's are in this process too; the server's ends stay
    # near the bound instead of following the flood to 500.
    assert peak <= limits.max_connections + 3 * 16 + 10
    assert pings, "no ping ran during the flood"
    assert all(data.startswith(b"HTTP/1.1 200") and data.endswith(b"OK") for data, _ in pings)
    assert max(took for _, took in pings) < 5
    for output in (streamed, raw):
        assert output.endswith(b"tick\ndone\n")
    # Evictions are summed up in a rate-limited warning; nothing logs a traceback.
    assert len(caplog.records) <= 2
    assert not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records)


async def test_at_the_bound_with_nothing_idle_a_new_connection_gets_a_json_503(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    limits = ConnectionLimits(max_connections=3, header_timeout=0.5, keepalive_timeout=1.0)
    path, served = await start(limits)
    attaches = [await start_attach(path, 1.5) for _ in range(3)]
    with caplog.at_level(logging.WARNING, logger="tuibox.engine.api.http_server"):
        for _ in range(5):
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(PING)
            status, headers, body = parse_full(await read_to_eof(reader))
            writer.close()
            assert status == 503
            assert headers["content-type"] == "application/json"
            assert "too many open connections" in json.loads(body)["message"]
    assert served.server.refused_total == 5
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
    assert not any(r.exc_info for r in caplog.records)
    for reader, _ in attaches:
        assert (await read_to_eof(reader)).endswith(b"done\n")
    async with client(path) as http:
        assert (await http.get("/_ping")).status_code == 200


BAD_REQUESTS = {
    "long request line": (
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: engine\r\n\r\n",
        400,
        "request line is longer than 8190 bytes",
    ),
    "bad content-length": (
        b"POST /echo HTTP/1.1\r\nHost: engine\r\nContent-Length: abc\r\n\r\n",
        400,
        "Content-Length",
    ),
    "malformed request line": (b"NOT A REQUEST\r\n\r\n", 400, "malformed request line"),
    "too many headers": (
        b"GET /_ping HTTP/1.1\r\nHost: engine\r\n"
        + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
        + b"\r\n",
        431,
        "too many header fields",
    ),
    "long header": (
        b"GET /_ping HTTP/1.1\r\nHost: engine\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
        431,
        "header field is longer than 8190 bytes",
    ),
    "bad chunked encoding": (
        b"POST /echo HTTP/1.1\r\nHost: engine\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        "chunk",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
async def test_parse_errors_answer_docker_json(
    start: Start, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    data, expected_status, expected_text = BAD_REQUESTS[case]
    path, _ = await start(SMALL)
    reader, writer = await asyncio.open_unix_connection(path)
    with caplog.at_level(logging.DEBUG):
        writer.write(data)
        status, headers, body = parse_full(await read_to_eof(reader))
    writer.close()
    assert status == expected_status
    assert headers["content-type"] == "application/json"
    message = json.loads(body)["message"]
    assert message.startswith("bad request: ") and expected_text in message
    assert "\n" not in message
    assert not any(r.exc_info for r in caplog.records)


async def test_bad_chunk_after_the_head_fails_the_request_instead_of_hanging(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path, _ = await start(SMALL)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: engine\r\nTransfer-Encoding: chunked\r\n\r\n")
    await asyncio.sleep(0.1)  # the handler is now waiting for the body
    writer.write(b"5\r\nhello\r\nzz\r\n")
    status, headers, body = parse_full(await read_to_eof(reader))
    writer.close()
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["message"].startswith("bad request: malformed request body")
    assert body.count(b"message") == 1  # one answer, not a second for the queued error
    await asyncio.sleep(0.1)  # aiohttp's lingering read over the rest of the body
    assert not any(r.exc_info for r in caplog.records)
