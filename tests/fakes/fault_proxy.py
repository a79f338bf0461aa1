"""FaultProxy: a fake of a flaky network in front of a real registry: it forwards every
request to the registry except those a test scripted to fail (a status with Retry-After, a
body cut after some bytes, a body with one byte changed, a body sent slowly), and records
what it was asked."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.fakes.loopback_http import QuietHandler, serve_on_loopback, stop_serving

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Fault:
    """Applies to the next `times` requests whose path contains `path_part`: answer
    `status` (with `retry_after`), or forward and cut the body after `cut_after` bytes,
    flip the byte at `corrupt_at`, or send it in `slow_chunks` pieces a `slow_delay` apart."""

    path_part: str
    times: int
    status: int | None = None
    retry_after: str | None = None
    cut_after: int | None = None
    corrupt_at: int | None = None
    slow_chunks: int = 0
    slow_delay: float = 0.0


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, path, Range header) of every request, in arrival order."""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_HEAD(self) -> None:
                proxy._handle(self)

        self._server = serve_on_loopback(Handler)
        return self

    def stop(self) -> None:
        stop_serving(self._server)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path_part in path:
                    fault.times -= 1
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.seen.append((handler.command, handler.path, handler.headers.get("Range", "")))
        fault = self._take_fault(handler.path)
        if fault is not None and fault.status is not None:
            handler.send_response(fault.status)
            if fault.retry_after is not None:
                handler.send_header("Retry-After", fault.retry_after)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_HEADERS}
        upstream = httpx.request(handler.command, self.upstream + handler.path, headers=headers,
                                 timeout=10)  # fmt: skip
        handler.send_response(upstream.status_code)
        for key, value in upstream.headers.items():
            if key.lower() not in _HOP_HEADERS:
                handler.send_header(key, value)
        body = upstream.content if handler.command != "HEAD" else b""
        if fault is not None and fault.corrupt_at is not None and fault.corrupt_at < len(body):
            at = fault.corrupt_at
            body = body[:at] + bytes([body[at] ^ 0xFF]) + body[at + 1 :]
        length = upstream.headers.get("content-length", str(len(body)))
        handler.send_header("Content-Length", length)
        handler.end_headers()
        if fault is not None and fault.cut_after is not None:
            handler.wfile.write(body[: fault.cut_after])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-body
            handler.close_connection = True
            return
        if fault is not None and fault.slow_chunks:
            step = max(1, len(body) // fault.slow_chunks)
            for start in range(0, len(body), step):
                handler.wfile.write(body[start : start + step])
                handler.wfile.flush()
                time.sleep(fault.slow_delay)
            return
        handler.wfile.write(body)
