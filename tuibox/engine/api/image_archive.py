"""Routes for docker save and docker load: GET /images/get, GET /images/{name}/get,
POST /images/load."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from aiohttp import web

from tuibox.engine.api.common import query_bool, refuse_unknown_query, stream_json
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.images.archive import ImageArchive

log = logging.getLogger(__name__)
_BODY_CHUNK = 256 * 1024
KNOWN_QUERY = {
    "GET /images/get": {"names"},
    "GET /images/{name}/get": set(),
    "POST /images/load": {"quiet"},
}


class ImageArchiveRoutes:
    """Thin handlers over ImageArchive."""

    def __init__(self, archive: ImageArchive) -> None:
        self.archive = archive

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/images/get", self.save_many),
            web.get("/images/{name:.+}/get", self.save_one),
            web.post("/images/load", self.load),
        ]

    async def save_many(self, request: web.Request) -> web.StreamResponse:
        _check_query(request, "GET /images/get")
        return await _send_tar(request, self.archive.save(request.query.getall("names", [])))

    async def save_one(self, request: web.Request) -> web.StreamResponse:
        _check_query(request, "GET /images/{name}/get")
        return await _send_tar(request, self.archive.save([request.match_info["name"]]))

    async def load(self, request: web.Request) -> web.StreamResponse:
        _check_query(request, "POST /images/load")
        messages = self.archive.load(_body_chunks(request), query_bool(request, "quiet"))
        async with aclosing(messages):
            return await stream_json(request, messages)


def _check_query(request: web.Request, route: str) -> None:
    """Unknown parameters are refused by name; `platform` (API 1.48) is not honoured yet."""
    unknown = sorted(set(request.query) - KNOWN_QUERY[route])
    if "platform" in unknown:
        raise InvalidArgument(f"platform is not supported by {route} here: the tuibox engine "
                              "keeps one platform per image; leave --platform out")  # fmt: skip
    refuse_unknown_query(request, route, KNOWN_QUERY[route])


async def _send_tar(request: web.Request, chunks: AsyncIterator[bytes]) -> web.StreamResponse:
    """Stream the archive; the first chunk is awaited first, so a refusal is a plain error.

    A failure later cuts the connection instead of ending the chunked body cleanly: a
    client must never take a short archive for a whole one.
    """
    async with aclosing(chunks) as stream:  # type: ignore[type-var]
        iterator = aiter(stream)
        first = await anext(iterator, b"")
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(first)
            async for chunk in iterator:
                await response.write(chunk)
        except OSError as err:
            log.error("image save to %s broke off: %s", request.remote or "client", err)
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
        return response


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_BODY_CHUNK):
        yield chunk
