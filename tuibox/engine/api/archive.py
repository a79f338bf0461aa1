"""Routes for `docker cp`: HEAD, GET and PUT /containers/{id}/archive."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from tuibox.engine.api.common import query_bool, refuse_unknown_query
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.archive import ContainerArchive, ExtractOptions
from tuibox.engine.services.containers.rules.path_stat import STAT_HEADER, stat_header
from tuibox.engine.services.containers.tar_pipe import all_but_the_end

_BODY_CHUNK = 256 * 1024
KNOWN_QUERY = {
    "HEAD": {"path"},
    "GET": {"path"},
    "PUT": {"path", "noOverwriteDirNonDir", "copyUIDGID"},
}


class ArchiveRoutes:
    """Thin handlers over ContainerArchive."""

    def __init__(self, archive: ContainerArchive) -> None:
        self.archive = archive

    def routes(self) -> list[web.RouteDef]:
        return [
            web.head("/containers/{id}/archive", self.stat),
            web.get("/containers/{id}/archive", self.get, allow_head=False),
            web.put("/containers/{id}/archive", self.put),
        ]

    async def stat(self, request: web.Request) -> web.Response:
        found = await self.archive.stat(request.match_info["id"], _path(request))
        return web.Response(headers={STAT_HEADER: stat_header(found),
                                     "Content-Type": "application/json"})  # fmt: skip

    async def get(self, request: web.Request) -> web.StreamResponse:
        """The tar's end is sent after the container is unmounted again: a client that has
        read it finds the stopped container as it was."""
        complete, end = False, bytearray()
        async with self.archive.archive(request.match_info["id"], _path(request)) as found:
            response = web.StreamResponse(headers={
                STAT_HEADER: stat_header(found.stat), "Content-Type": "application/x-tar"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                async for chunk in all_but_the_end(found.chunks, end):
                    await response.write(chunk)
                complete = True
            except OSError:  # the client left, or the tar broke off: the stream ends short
                pass
        if complete:
            with contextlib.suppress(OSError):
                await response.write(bytes(end))
                await response.write_eof()
        return response

    async def put(self, request: web.Request) -> web.Response:
        options = ExtractOptions(
            no_overwrite_dir_non_dir=query_bool(request, "noOverwriteDirNonDir"),
            copy_uid_gid=query_bool(request, "copyUIDGID"),
        )
        await self.archive.extract(request.match_info["id"], _path(request),
                                   _body_chunks(request), options)  # fmt: skip
        return web.Response(status=200)


def _path(request: web.Request) -> str:
    """The `path` parameter (required, as dockerd), with unknown parameters refused by name."""
    refuse_unknown_query(request, f"{request.method} /containers/{{id}}/archive",
                         KNOWN_QUERY[request.method])  # fmt: skip
    path = request.query.get("path", "")
    if not path:
        raise InvalidArgument("bad parameter: path cannot be empty")
    return path


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_BODY_CHUNK):
        yield chunk
