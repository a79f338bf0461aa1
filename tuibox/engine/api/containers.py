"""Routes for /containers: the lifecycle verbs, update, rename, prune, wait, attach, logs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from tuibox.engine.api.attach import StdinRelay, relay_attach
from tuibox.engine.api.common import (
    json_response,
    query_bool,
    query_filters,
    query_int,
    query_terminal_size,
    query_unix_ns,
    read_json_body,
)
from tuibox.engine.api.streams import MULTIPLEXED, RAW, encode, hijack, start_stream
from tuibox.engine.domain.detach_keys import DEFAULT_DETACH_KEYS, DetachScanner, parse_detach_keys
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers import ContainerService
from tuibox.engine.services.containers.streams import LogQuery

REPLAY_GRACE_SECONDS = 0.05


class ContainerRoutes:
    """Thin handlers: parse, call one service method, serialise."""

    def __init__(self, containers: ContainerService) -> None:
        self.creation = containers.creation
        self.lifecycle = containers.lifecycle
        self.removal = containers.removal
        self.streams = containers.streams
        self.queries = containers.queries
        self.updates = containers.updates
        self.exporter = containers.export

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/containers/json", self.list_containers),
            web.post("/containers/create", self.create),
            web.get("/containers/{id}/json", self.inspect),
            web.post("/containers/{id}/start", self.start),
            web.post("/containers/{id}/stop", self.stop),
            web.post("/containers/{id}/restart", self.restart),
            web.post("/containers/{id}/kill", self.kill),
            web.post("/containers/{id}/update", self.update),
            web.post("/containers/{id}/pause", self.pause),
            web.post("/containers/{id}/unpause", self.unpause),
            web.post("/containers/{id}/rename", self.rename),
            web.post("/containers/prune", self.prune),
            web.get("/containers/{id}/changes", self.changes),
            web.get("/containers/{id}/export", self.export),
            web.post("/containers/{id}/wait", self.wait),
            web.post("/containers/{id}/attach", self.attach),
            web.post("/containers/{id}/resize", self.resize),
            web.get("/containers/{id}/logs", self.logs),
            web.delete("/containers/{id}", self.remove),
        ]

    async def list_containers(self, request: web.Request) -> web.StreamResponse:
        """Streamed in pieces: a long listing is never built whole in memory."""
        records = self.queries.select(
            all_containers=query_bool(request, "all"),
            limit=query_int(request, "limit"),
            filters=query_filters(request),
            since=request.query.get("since") or None,
            before=request.query.get("before") or None,
        )
        response = web.StreamResponse()
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await response.prepare(request)
        pieces = self.queries.encoded_list(records, sizes=query_bool(request, "size"))
        with contextlib.suppress(ConnectionError):  # the client stopped reading
            async for piece in pieces:
                await response.write(piece)
            await response.write_eof()
        return response

    async def create(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        result = await self.creation.create(
            body, request.query.get("name"), request.query.get("platform") or None
        )
        return json_response(result, status=201)

    async def inspect(self, request: web.Request) -> web.Response:
        document = self.queries.inspect(request.match_info["id"])
        if query_bool(request, "size"):
            document.update(await self.queries.sizes_of(request.match_info["id"]))
        return json_response(document)

    async def start(self, request: web.Request) -> web.Response:
        await self.lifecycle.start(request.match_info["id"])
        return web.Response(status=204)

    async def stop(self, request: web.Request) -> web.Response:
        await self.lifecycle.stop(
            request.match_info["id"], query_int(request, "t"), request.query.get("signal")
        )
        return web.Response(status=204)

    async def restart(self, request: web.Request) -> web.Response:
        await self.lifecycle.restart(
            request.match_info["id"], query_int(request, "t"), request.query.get("signal")
        )
        return web.Response(status=204)

    async def kill(self, request: web.Request) -> web.Response:
        await self.lifecycle.kill(request.match_info["id"], request.query.get("signal"))
        return web.Response(status=204)

    async def pause(self, request: web.Request) -> web.Response:
        await self.lifecycle.pause(request.match_info["id"])
        return web.Response(status=204)

    async def unpause(self, request: web.Request) -> web.Response:
        await self.lifecycle.unpause(request.match_info["id"])
        return web.Response(status=204)

    async def rename(self, request: web.Request) -> web.Response:
        await self.updates.rename(request.match_info["id"], request.query.get("name") or "")
        return web.Response(status=204)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The first chunk is awaited before the headers: a missing container is a 404."""
        chunks = aiter(self.exporter.export(request.match_info["id"]))
        first = await anext(chunks, b"")
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            if first:
                await response.write(first)
            async for chunk in chunks:
                await response.write(chunk)
            await response.write_eof()
        except OSError:  # the client left, or the tar broke off: the stream ends short
            pass
        return response

    async def changes(self, request: web.Request) -> web.Response:
        return json_response(await self.queries.changes(request.match_info["id"]))

    async def prune(self, request: web.Request) -> web.Response:
        return json_response(await self.removal.prune(query_filters(request)))

    async def update(self, request: web.Request) -> web.Response:
        body = await read_json_body(request)
        return json_response(await self.updates.update(request.match_info["id"], body))

    async def remove(self, request: web.Request) -> web.Response:
        """`v=1` removes the container's anonymous volumes too; links do not exist."""
        if query_bool(request, "link"):
            raise InvalidArgument("links are not supported by the tuibox engine (link=1)")
        await self.removal.remove(
            request.match_info["id"], query_bool(request, "force"), query_bool(request, "v")
        )
        return web.Response(status=204)

    async def wait(self, request: web.Request) -> web.StreamResponse:
        """Headers go out at once: `docker run` sends wait before start and blocks on them."""
        waiter = self.streams.wait(
            request.match_info["id"], request.query.get("condition") or "not-running"
        )
        try:
            response = web.StreamResponse()
            response.content_type = "application/json"
            response.enable_chunked_encoding()
            await start_stream(request, response)
            code = await waiter.exit_code()
        finally:
            waiter.close()
        with contextlib.suppress(ConnectionError):  # `docker run -d` leaves without reading
            await response.write(b'{"StatusCode":%d}\n' % code)
            await response.write_eof()
        return response

    async def attach(self, request: web.Request) -> web.StreamResponse:
        """Hijack the connection: the container's output until its run ends, the client's
        input to its stdin when it was created with -i (`stdin` asked for; a container
        without one has nothing to take it, as with dockerd), detach keys on a TTY."""
        container_id = request.match_info["id"]
        tty = self.queries.has_tty(container_id)
        keys = request.query.get("detachKeys")
        detach_keys = parse_detach_keys(keys) if keys else DEFAULT_DETACH_KEYS
        wanted = {
            "stdout": query_bool(request, "stdout"),
            "stderr": query_bool(request, "stderr"),
        }
        stream = query_bool(request, "stream")
        replay = query_bool(request, "logs")
        hub = await self.streams.stdin(container_id) if query_bool(request, "stdin") else None
        records = self.streams.attach(container_id, replay=replay) if stream else None
        if records is None and replay:
            query = LogQuery(True, True, follow=False, tail=None, since_ns=0, until_ns=None)
            records = self.streams.logs(container_id, query)
        connection = await hijack(request, tty=tty)
        if replay:
            # docker-py reads the 101 headers through a buffered reader and then reads the
            # raw socket beneath it: bytes that arrive with the headers are lost. Live output
            # comes only after the start request; replayed output must wait a moment too.
            await asyncio.sleep(REPLAY_GRACE_SECONDS)
        if records is None:
            await connection.finish()
            return connection.response

        async def chunks() -> AsyncIterator[bytes]:
            async for entry in records:
                if wanted.get(entry.stream):
                    yield encode(entry, tty=tty)

        stdin = None
        if hub is not None and stream:
            stdin = StdinRelay(hub, DetachScanner(detach_keys) if tty else None,
                               closes_stdin=self.streams.stdin_once(container_id))  # fmt: skip
        detached = await relay_attach(connection, chunks(), stdin)
        if detached:
            self.streams.detached(container_id)
        await connection.finish()
        return connection.response

    async def resize(self, request: web.Request) -> web.Response:
        height, width = query_terminal_size(request)
        await self.streams.resize(request.match_info["id"], height, width)
        return web.Response(status=200)

    async def logs(self, request: web.Request) -> web.StreamResponse:
        """`details` adds the --log-opt labels and env, which create refuses: none to add."""
        container_id = request.match_info["id"]
        tty = self.queries.has_tty(container_id)
        tail_text = request.query.get("tail", "all")
        query = LogQuery(
            stdout=query_bool(request, "stdout"),
            stderr=query_bool(request, "stderr"),
            follow=query_bool(request, "follow"),
            tail=_tail(tail_text),
            since_ns=query_unix_ns(request, "since") or 0,
            until_ns=query_unix_ns(request, "until") or None,
        )
        timestamps = query_bool(request, "timestamps")
        records = self.streams.logs(container_id, query)
        response = web.StreamResponse()
        response.content_type = RAW if tty else MULTIPLEXED
        response.enable_chunked_encoding()
        await start_stream(request, response)
        with contextlib.suppress(ConnectionError):  # the client stopped reading
            async with contextlib.aclosing(records) as entries:
                async for entry in entries:
                    await response.write(encode(entry, tty=tty, timestamps=timestamps))
            await response.write_eof()
        return response


def _tail(text: str) -> int | None:
    """Docker's `tail`: all (or empty, or any negative number) means every line."""
    if text in ("", "all"):
        return None
    try:
        value = int(text)
    except ValueError:
        shown = text[:64]
        raise InvalidArgument(f"invalid value for tail: {shown!r} is not a number or all") from None
    return None if value < 0 else value
