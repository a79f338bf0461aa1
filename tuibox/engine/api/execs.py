"""Routes for exec: /containers/{id}/exec, /exec/{id}/start, /exec/{id}/json, /exec/{id}/resize."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from tuibox.engine.api.common import (
    TERMINAL_SIDE_MAX,
    json_response,
    query_terminal_size,
    read_json_body,
)
from tuibox.engine.api.streams import HijackedConnection, frame, hijack
from tuibox.engine.domain.detach_keys import DetachScanner
from tuibox.engine.domain.errors import EngineError, InvalidArgument
from tuibox.engine.services.containers.execs import ContainerExecs, ExecSession


class ExecRoutes:
    """Thin handlers; start relays the process's stdio over the hijacked connection."""

    def __init__(self, execs: ContainerExecs) -> None:
        self.execs = execs

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/containers/{id}/exec", self.create),
            web.post("/exec/{id}/start", self.start),
            web.get("/exec/{id}/json", self.inspect),
            web.post("/exec/{id}/resize", self.resize),
        ]

    async def create(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        return json_response(self.execs.create(request.match_info["id"], body), status=201)

    async def inspect(self, request: web.Request) -> web.Response:
        return json_response(self.execs.inspect(request.match_info["id"]))

    async def resize(self, request: web.Request) -> web.Response:
        height, width = query_terminal_size(request)
        await self.execs.resize(request.match_info["id"], height, width)
        return web.Response(status=200)

    async def start(self, request: web.Request) -> web.StreamResponse:
        """Detach: start and answer 200 at once. Otherwise hijack and relay until the end."""
        body = await read_json_body(request, required=False)
        detach, tty, size = body.get("Detach"), body.get("Tty"), body.get("ConsoleSize")
        if detach is not None and not isinstance(detach, bool):
            raise InvalidArgument("Detach must be true or false")
        if tty is not None and not isinstance(tty, bool):
            raise InvalidArgument("Tty must be true or false")
        console = None
        if size is not None:
            if (not isinstance(size, list) or len(size) != 2 or not all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= TERMINAL_SIDE_MAX
                    for v in size)):  # fmt: skip
                raise InvalidArgument("ConsoleSize must be [height, width]")
            console = (size[0], size[1])
        exec_id = request.match_info["id"]
        if detach:
            session = await self.execs.start(exec_id, tty=tty, console_size=console)
            self.execs.start_detached(session)
            return web.Response(status=200)
        session_tty = self.execs.get(exec_id).tty if tty is None else tty
        self.execs.get(exec_id)  # a missing exec is a 404 before the hijack
        connection = await hijack(request, tty=session_tty)
        try:
            session = await self.execs.start(exec_id, tty=tty, console_size=console)
        except EngineError as err:  # after the 101, errors go into the stream, as dockerd's
            await _say(connection, f"{err}\r\n", tty=session_tty)
            await connection.finish()
            return connection.response
        await self._relay(session, connection)
        return connection.response

    async def _relay(self, session: ExecSession, connection: HijackedConnection) -> None:
        process = session.process
        assert process is not None
        scanner = DetachScanner(session.detach_keys) if session.tty else None
        detached = asyncio.Event()

        async def feed_stdin() -> None:
            while (data := await connection.input.get()) is not None:
                if not session.attach_stdin:
                    continue
                if scanner is not None:
                    data = scanner.feed(data)
                if data:
                    await process.write(data)
                if scanner is not None and scanner.detached:
                    detached.set()
                    return
            if session.attach_stdin:
                process.close_stdin()

        async def chunks() -> AsyncIterator[bytes]:
            async for stream, data in process.output():
                if stream == "stdout" and not session.attach_stdout:
                    continue
                if stream == "stderr" and not session.attach_stderr:
                    continue
                yield data if session.tty else frame(stream, data)

        stdin_task = asyncio.create_task(feed_stdin())
        pump_task = asyncio.create_task(connection.pump(chunks()))
        detach_task = asyncio.create_task(detached.wait())
        try:
            await asyncio.wait({pump_task, detach_task}, return_when=asyncio.FIRST_COMPLETED)
            if detached.is_set():
                pump_task.cancel()
                self.execs.start_detached(session)
            else:
                await self.execs.finish(session)
                if session.failure:
                    await _say(connection, session.failure + "\r\n", tty=session.tty)
        finally:
            for task in (stdin_task, detach_task):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump_task
            await connection.finish()


async def _say(connection: HijackedConnection, text: str, *, tty: bool) -> None:
    data = text.encode()

    async def one() -> AsyncIterator[bytes]:
        yield data if tty else frame("stderr", data)

    with contextlib.suppress(ConnectionError):
        await connection.pump(one())
