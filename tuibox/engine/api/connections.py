"""Provides LimitedServer: aiohttp's server with a bound on connections, timeouts, JSON errors."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import StreamReader, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http import RawRequestMessage
from aiohttp.http_exceptions import HttpProcessingError

from tuibox.engine.api.http_errors import describe_body_error, describe_parse_error, json_error

log = logging.getLogger(__name__)

WARNING_INTERVAL = 10.0
"""At most one warning per kind (refused, evicted) per this many seconds."""

_BUSY_BODY = json.dumps(
    {"message": "engine is busy: too many open connections, try again later"}
).encode()
_BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n"
    b"Connection: close\r\n"
    b"\r\n" + _BUSY_BODY
)


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections the API socket holds and how long a silent one may stay."""

    max_connections: int
    header_timeout: float
    keepalive_timeout: float


class _Phase(enum.Enum):
    HEAD = "waiting for a request head"
    IDLE = "idle between requests"
    BUSY = "serving a request"
    CLOSED = "closed"


class _Throttle:
    """Counts events and says when a summary line may be logged again."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._next = 0.0
        self.pending = 0

    def due(self, now: float) -> bool:
        self.pending += 1
        if now < self._next:
            return False
        self._next = now + self._interval
        return True


class _MalformedBody(web.HTTPBadRequest):
    """Raised into a handler reading a body the parser rejected, so it answers 400."""


class LimitedServer(web.Server):
    """aiohttp's low-level server with a connection bound, timeouts and JSON parse errors.

    A body the parser rejects after the request started reaches the app's handler as an
    error while it reads; the app's error middleware answers it (api/errors.py).

    Connections waiting for a request head or idle between requests are the only ones
    timed out or evicted; a request in progress (a body upload, a streamed response, a
    hijacked attach socket) keeps its connection until it ends.
    """

    def __init__(self, base: web.Server, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._app_handler = base.request_handler
        self._app_request_factory = base.request_factory
        # aiohttp keeps the RequestHandler options (access_log, debug, ...) here only.
        self._handler_kwargs: dict[str, Any] = dict(base._kwargs)
        self.loop = asyncio.get_running_loop()
        super().__init__(
            self._app_handler,
            request_factory=self._make_tracked_request,
            handler_cancellation=base.handler_cancellation,
            loop=self.loop,
            **self._handler_kwargs,
        )
        # One handler now, so a bad option fails at startup rather than per connection.
        _LimitedHandler(self, loop=self.loop, **self._handler_kwargs)
        self._live: set[_LimitedHandler] = set()
        self._waiting: OrderedDict[_LimitedHandler, None] = OrderedDict()
        self.refused_total = 0
        self.evicted_total = 0
        self.timed_out_total = 0
        self._refused_log = _Throttle(WARNING_INTERVAL)
        self._evicted_log = _Throttle(WARNING_INTERVAL)

    @property
    def open_connections(self) -> int:
        """Connections counted against the bound, hijacked ones included."""
        return len(self._live)

    def __call__(self) -> web.RequestHandler:
        return _LimitedHandler(self, loop=self.loop, **self._handler_kwargs)

    def admit(self, handler: _LimitedHandler) -> bool:
        """Count a new connection, closing the longest-waiting idle one if at the bound."""
        if len(self._live) >= self.limits.max_connections:
            victim = self._oldest_waiting()
            if victim is None:
                self.refused_total += 1
                if self._refused_log.due(self.loop.time()):
                    log.warning(
                        "refused %d connection(s): %d open, the limit, and none idle to close",
                        self._refused_log.pending,
                        len(self._live),
                    )
                    self._refused_log.pending = 0
                return False
            self.evicted_total += 1
            if self._evicted_log.due(self.loop.time()):
                log.warning(
                    "at the limit of %d connections: closed %d idle or half-open one(s) "
                    "to make room",
                    self.limits.max_connections,
                    self._evicted_log.pending,
                )
                self._evicted_log.pending = 0
            victim.drop()
        self._live.add(handler)
        return True

    def release(self, handler: _LimitedHandler) -> None:
        """Stop counting a connection; safe to call more than once."""
        self._live.discard(handler)
        self._waiting.pop(handler, None)

    def mark_waiting(self, handler: _LimitedHandler) -> None:
        """The connection may be evicted, newest last."""
        self._waiting[handler] = None
        self._waiting.move_to_end(handler)

    def mark_busy(self, handler: _LimitedHandler) -> None:
        """The connection is serving a request and must not be evicted."""
        self._waiting.pop(handler, None)

    def _oldest_waiting(self) -> _LimitedHandler | None:
        while self._waiting:
            handler, _ = self._waiting.popitem(last=False)
            if handler.evictable():
                return handler
        return None

    def _make_tracked_request(
        self,
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: web.RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        """A request starts: from here on its connection is busy, not idle."""
        if isinstance(protocol, _LimitedHandler):
            protocol.request_started(payload)
        return self._app_request_factory(message, payload, protocol, writer, task)


class _LimitedHandler(web.RequestHandler):
    """aiohttp's per-connection protocol, tracking whether the connection is idle."""

    def __init__(self, manager: LimitedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limiter = manager
        self._phase = _Phase.HEAD
        self._timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._request_line_length: int | None = None
        self._payload: StreamReader | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._limiter.admit(self):
            self._refused = True
            self._phase = _Phase.CLOSED
            _refuse(transport)
            return
        super().connection_made(transport)
        self._enter(_Phase.HEAD)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        self._enter(_Phase.CLOSED)
        self._limiter.release(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data and self._phase is _Phase.IDLE:
            self._enter(_Phase.HEAD)  # the next request started: its head has to finish
        if self._phase is _Phase.HEAD and self._request_line_length is None:
            end = data.find(b"\n")
            if end < 0:
                self._head_bytes += len(data)
            else:
                self._request_line_length = self._head_bytes + end
        super().data_received(data)
        # aiohttp queues parsed heads (and parse errors) here; without it, the request
        # factory still marks the connection busy, one loop turn later.
        queued = getattr(self, "_messages", None)
        if not queued:
            return
        if self._phase is _Phase.HEAD:
            self._enter(_Phase.BUSY)
        elif self._phase is _Phase.BUSY:
            self._fail_body(queued[-1][0])

    def _fail_body(self, parsed: object) -> None:
        """The parser rejected the body of the request being served: answer 400, not hang.

        aiohttp queues the error behind the request and leaves its handler waiting for a
        body that will never come.
        """
        exc = getattr(parsed, "exc", None)
        payload = self._payload
        if (
            not isinstance(exc, HttpProcessingError)
            or payload is None
            or payload.is_eof()
            or payload.exception() is not None
        ):
            return
        text = describe_body_error(exc)
        log.debug("%s", text)
        self.close()  # the stream is unusable after this response
        payload.set_exception(_MalformedBody(text=text))

    def request_started(self, payload: StreamReader) -> None:
        """Called by the server as aiohttp turns a queued head into a request."""
        self._payload = payload
        self._enter(_Phase.BUSY)

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._payload = None
            # A pipelined request already queued keeps the connection busy.
            if (
                self._phase is _Phase.BUSY
                and self.transport is not None
                and not getattr(self, "_messages", None)
            ):
                self._enter(_Phase.IDLE)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Answer parse errors and handler crashes with Docker's {"message"} JSON.

        A malformed request is the client's fault: one debug line, no traceback.
        """
        if request.writer.output_size > 0:
            raise ConnectionError(
                "Response is sent already, cannot send another response with the error message"
            )
        if isinstance(exc, HttpProcessingError):
            status, text = describe_parse_error(
                exc, request_line_length=self._request_line_length
            )
            log.debug("%s", text)
        else:
            if status >= 500 and status != 504:
                self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
            try:
                text = HTTPStatus(status).phrase.lower()
            except ValueError:
                text = message or "error"
        resp = json_error(status, text)
        resp.force_close()
        return resp

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """No traceback when aiohttp trips over a body it already rejected.

        After the 400, aiohttp reads what is left of the body before closing, and that
        read re-raises the body's error as an "Unhandled exception".
        """
        exc = kw.get("exc_info")
        if isinstance(exc, _MalformedBody | web.RequestPayloadError | HttpProcessingError):
            log.debug("closed a connection after a malformed request body: %r", exc)
            return
        super().log_exception(*args, **kw)

    def evictable(self) -> bool:
        """Waiting for a head or idle, and not handed over to another protocol."""
        if self._phase not in (_Phase.HEAD, _Phase.IDLE) or self.transport is None:
            return False
        if self._hijacked():
            self._enter(_Phase.BUSY)
            return False
        return True

    def drop(self) -> None:
        """Close now, discarding unsent output, so the descriptor is free next loop turn."""
        self._enter(_Phase.CLOSED)
        self._limiter.release(self)
        transport = self.transport
        if transport is not None:
            transport.abort()
        self.force_close()

    def _hijacked(self) -> bool:
        transport = self.transport
        return transport is not None and transport.get_protocol() is not self

    def _enter(self, phase: _Phase) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._phase is _Phase.CLOSED:
            return
        self._phase = phase
        limits = self._limiter.limits
        if phase is _Phase.HEAD:
            self._head_bytes = 0
            self._request_line_length = None
            self._limiter.mark_waiting(self)
            self._timer = self._limiter.loop.call_later(limits.header_timeout, self._expire)
        elif phase is _Phase.IDLE:
            self._limiter.mark_waiting(self)
            self._timer = self._limiter.loop.call_later(
                limits.keepalive_timeout, self._expire
            )
        elif phase is _Phase.BUSY:
            self._limiter.mark_busy(self)

    def _expire(self) -> None:
        self._timer = None
        if not self.evictable():
            return
        log.debug("closing a connection %s for too long", self._phase.value)
        self._limiter.timed_out_total += 1
        self.drop()


def _refuse(transport: asyncio.BaseTransport) -> None:
    """Answer 503 and close without reading the request through aiohttp.

    What the client already sent is read off first: closing a Unix socket with unread
    input makes the client's read fail with ECONNRESET before it sees the 503.
    """
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # nothing sent yet, or already gone
            os.read(sock.fileno(), 65536)
    if isinstance(transport, asyncio.WriteTransport):
        transport.write(_BUSY_RESPONSE)
    transport.close()
