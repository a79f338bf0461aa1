"""Routes for /images: pull and import (create), list, inspect, history, tag, remove, prune,
search, and /distribution/{name}/json."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

from aiohttp import web

from tuibox.engine.api.common import (
    json_response,
    query_bool,
    query_filters,
    query_int,
    refuse_unknown_query,
    stream_json,
)
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.services.images.service import ImageService

_BODY_CHUNK = 256 * 1024
HISTORY_QUERY = frozenset({"platform"})
KNOWN_QUERY = {
    # `digests` asks for RepoDigests, always there; `only_ids` (docker-py's `quiet`) is
    # answered in full as dockerd answers it, and docker-py keeps the IDs itself
    "GET /images/json": frozenset({"all", "filters", "shared-size", "digests", "only_ids"}),
    "POST /images/create (pull)": frozenset({"fromImage", "tag", "platform"}),
    "POST /images/create (import)": frozenset(
        {"fromSrc", "repo", "tag", "message", "changes", "platform"}
    ),
    "GET /images/{name}/json": frozenset(),
    # docker-py sends `force`; a tag always moves to the image named, as with dockerd
    "POST /images/{name}/tag": frozenset({"repo", "tag", "force"}),
    "DELETE /images/{name}": frozenset({"force", "noprune"}),
    "POST /images/prune": frozenset({"filters"}),
    "GET /images/search": frozenset({"term", "limit", "filters"}),
    "GET /distribution/{name}/json": frozenset(),
}


class ImageRoutes:
    """Thin handlers over ImageService. Names may hold `/` and `:`, hence `{name:.+}`."""

    def __init__(self, images: ImageService) -> None:
        self.images = images

    def routes(self) -> list[web.RouteDef]:
        """Route table; the fixed paths come first so they win over `{name:.+}`."""
        return [
            web.get("/images/json", self.list_images),
            web.post("/images/create", self.create),
            web.post("/images/prune", self.prune),
            web.get("/images/search", self.search),
            web.get("/distribution/{name:.+}/json", self.distribution),
            web.get("/images/{name:.+}/json", self.inspect),
            web.get("/images/{name:.+}/history", self.history),
            web.post("/images/{name:.+}/tag", self.tag),
            web.delete("/images/{name:.+}", self.remove),
        ]

    async def list_images(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "GET /images/json")
        result = await self.images.list_images(
            query_bool(request, "all"),
            query_filters(request),
            shared_size=query_bool(request, "shared-size"),
        )
        return json_response(result)

    async def create(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        from_image = query.get("fromImage")
        from_src = query.get("fromSrc")
        messages: AsyncGenerator[dict[str, Any], None]
        if from_image:
            _refuse_unknown_query(request, "POST /images/create (pull)")
            _refuse_all_tags(from_image, query.get("tag"))
            messages = self.images.pull(
                from_image,
                query.get("tag") or None,
                request.headers.get("X-Registry-Auth"),
                query.get("platform") or None,
            )
        elif from_src == "-":
            _refuse_unknown_query(request, "POST /images/create (import)")
            messages = self.images.import_rootfs(
                _body_chunks(request),
                query.get("repo") or None,
                query.get("tag") or None,
                query.get("message") or None,
                query.getall("changes", []),
                query.get("platform") or None,
            )
        elif from_src:
            raise InvalidArgument(
                "importing from a URL is not supported; send the tarball in the body (fromSrc=-)"
            )
        else:
            refuse_unknown_query(request, "POST /images/create",
                                 KNOWN_QUERY["POST /images/create (pull)"]
                                 | KNOWN_QUERY["POST /images/create (import)"])  # fmt: skip
            raise InvalidArgument("either fromImage or fromSrc is required")
        async with aclosing(messages):  # a client that goes away ends the pull at once
            return await stream_json(request, messages)

    async def inspect(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "GET /images/{name}/json")
        return json_response(await self.images.inspect(request.match_info["name"]))

    async def history(self, request: web.Request) -> web.Response:
        refuse_unknown_query(request, "GET /images/{name}/history", HISTORY_QUERY)
        platform = request.query.get("platform") or None
        return json_response(await self.images.history(request.match_info["name"], platform))

    async def tag(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /images/{name}/tag")
        repo = request.query.get("repo")
        if not repo:
            raise InvalidArgument("repo is required: the repository to tag the image into")
        await self.images.tag(request.match_info["name"], repo, request.query.get("tag") or None)
        return web.Response(status=201)

    async def remove(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "DELETE /images/{name}")
        result = await self.images.remove(
            request.match_info["name"],
            force=query_bool(request, "force"),
            noprune=query_bool(request, "noprune"),
        )
        return json_response(result)

    async def prune(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "POST /images/prune")
        return json_response(await self.images.prune(query_filters(request)))

    async def search(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "GET /images/search")
        result = await self.images.search(
            request.query.get("term", ""), query_int(request, "limit"), query_filters(request)
        )
        return json_response(result)

    async def distribution(self, request: web.Request) -> web.Response:
        _refuse_unknown_query(request, "GET /distribution/{name}/json")
        info = await self.images.distribution(
            request.match_info["name"], request.headers.get("X-Registry-Auth")
        )
        return json_response(info)


def _refuse_all_tags(from_image: str, tag: str | None) -> None:
    """fromImage with neither a tag nor a digest, and no `tag`, asks for every tag of the
    repository (what `docker pull --all-tags` sends; the CLI adds `latest` otherwise).

    Raises:
        InvalidArgument: naming --all-tags, which is not done yet; a wrong reference is
            left to the pull, which words it as Docker does.
    """
    if tag:
        return
    try:
        reference = parse_reference(from_image, default_tag=False)
    except InvalidArgument:
        return
    if reference.tag is None and reference.digest is None:
        raise InvalidArgument(
            "pulling every tag of a repository (docker pull --all-tags) is not supported by "
            "the tuibox engine yet; name a tag, such as "
            f"{reference.familiar_name}:latest"
        )


def _refuse_unknown_query(request: web.Request, route: str) -> None:
    refuse_unknown_query(request, route, KNOWN_QUERY[route])


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(_BODY_CHUNK):
        yield chunk
