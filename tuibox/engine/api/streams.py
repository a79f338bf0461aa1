"""Raw output streams: Docker's 8-byte multiplexed frames and the hijacked attach connection."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

from aiohttp import web

from tuibox.engine.services.containers.streams import LogRecord
from tuibox.timestamps import format_ns

STREAM_CODES = {"stdout": 1, "stderr": 2}
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW = "application/vnd.docker.raw-stream"
WRITE_BUFFER_LIMIT = 256 * 1024


def frame(stream: str, data: bytes) -> bytes:
    """One multiplexed frame: [stream, 0, 0, 0, size big-endian] + data."""
    return struct.pack(">BxxxL", STREAM_CODES[stream], len(data)) + data


def encode(entry: LogRecord, *, tty: bool, timestamps: bool = False) -> bytes:
    """Frame a log record (raw bytes when the container has a TTY)."""
    data = entry.data
    if timestamps:
        data = format_ns(entry.time_ns).encode() + b" " + data
    return data if tty else frame(entry.stream, data)


async def start_stream(request: web.Request, response: web.StreamResponse) -> None:
    """Prepare a streamed response and send its headers now, before any body.

    aiohttp holds the headers back until the first body write; a client that waits on
    the headers (docker-py's wait, `docker logs -f` of a quiet container) must get them.
    """
    await response.prepare(request)
    request._payload_writer.send_headers()


class HijackedConnection:
    """The client's connection after attach: raw bytes after a 101, chunks after a 200."""

    def __init__(self, response: web.StreamResponse, transport: asyncio.WriteTransport | None):
        self.response = response
        self.transport = transport
        self.input: asyncio.Queue[bytes | None] = asyncio.Queue()
        """What the client sends after the 101 (its stdin); None once it half-closed or left."""
        self.closed = asyncio.Event()
        """Set when the client has gone altogether (not on a half-close)."""
        self.body_reader: asyncio.Task[None] | None = None
        """Without an upgrade: the task feeding the request body to `input`."""

    async def pump(self, chunks: AsyncIterator[bytes]) -> None:
        """Copy chunks to the client, pausing while it is slow to read; stop if it left."""
        async for chunk in chunks:
            if self.transport is None:
                await self.response.write(chunk)
                continue
            if self.transport.is_closing():
                return
            self.transport.write(chunk)
            while self.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
                if self.transport.is_closing():
                    return
                await asyncio.sleep(0.01)

    async def finish(self) -> None:
        """End the stream: close a raw connection, or end the chunked body."""
        if self.body_reader is not None:
            self.body_reader.cancel()
        if self.transport is not None:
            self.transport.close()
        else:
            await self.response.write_eof()


async def hijack(request: web.Request, *, tty: bool) -> HijackedConnection:
    """Answer 101 UPGRADED, or 200 when the client did not ask to upgrade.

    The 101 headers go out in their own write, before any data, because docker-py reads
    the hijacked socket beneath its buffered reader. The docker CLI half-closes its side
    right after the 101; the connection must stay open for output, so EOF is ignored.
    The handler returns the prepared response afterwards, so aiohttp sends nothing more.
    """
    content_type = RAW if tty else MULTIPLEXED
    if request.headers.get("Upgrade", "").lower() != "tcp":
        plain = web.StreamResponse(status=200, headers={"Content-Type": content_type})
        plain.enable_chunked_encoding()
        await plain.prepare(request)
        connection = HijackedConnection(plain, None)
        connection.body_reader = asyncio.get_running_loop().create_task(
            _read_body(request, connection.input)
        )
        return connection
    response = web.StreamResponse(
        status=101,
        reason="UPGRADED",
        headers={"Content-Type": content_type, "Connection": "Upgrade", "Upgrade": "tcp"},
    )
    response.force_close()
    await start_stream(request, response)
    transport = request.transport
    if isinstance(transport, asyncio.WriteTransport) and request.protocol is not None:
        connection = HijackedConnection(response, transport)
        transport.set_protocol(_HijackedProtocol(request.protocol, connection))
        return connection
    return HijackedConnection(response, None)


async def _read_body(request: web.Request, input: asyncio.Queue[bytes | None]) -> None:
    """Without an upgrade, the request body is the client's input, its end the EOF."""
    try:
        async for chunk in request.content.iter_any():
            input.put_nowait(chunk)
    finally:
        input.put_nowait(None)


class _HijackedProtocol(asyncio.Protocol):
    """Stands in for aiohttp's protocol once the connection is raw.

    Input goes to the connection's queue (a stdin for exec; dropped where none is read),
    a half-close keeps the connection open for output and ends the input, and the end of
    the connection is passed on so aiohttp cleans up.
    """

    def __init__(self, original: asyncio.BaseProtocol, connection: HijackedConnection):
        self.original = original
        self.input = connection.input
        self.closed = connection.closed
        self._ended = False

    def data_received(self, data: bytes) -> None:
        if not self._ended:
            self.input.put_nowait(data)

    def eof_received(self) -> bool:
        self._end_input()
        return True

    def _end_input(self) -> None:
        if not self._ended:
            self._ended = True
            self.input.put_nowait(None)

    def pause_writing(self) -> None:
        self.original.pause_writing()

    def resume_writing(self) -> None:
        self.original.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_input()
        self.closed.set()
        self.original.connection_lost(exc)
