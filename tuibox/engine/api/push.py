"""Route for `docker push`: POST /images/{name}/push?tag=, Docker's progress stream."""

from __future__ import annotations

from contextlib import aclosing

from aiohttp import web

from tuibox.engine.api.common import refuse_unknown_query, stream_json
from tuibox.engine.services.images.push import ImagePusher

KNOWN_QUERY = frozenset({"tag"})


class PushRoutes:
    """A thin handler over ImagePusher. Names may hold `/` and `:`, hence `{name:.+}`."""

    def __init__(self, pusher: ImagePusher) -> None:
        self.pusher = pusher

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/images/{name:.+}/push", self.push)]

    async def push(self, request: web.Request) -> web.StreamResponse:
        refuse_unknown_query(request, "POST /images/{name}/push", KNOWN_QUERY)
        messages = self.pusher.push(
            request.match_info["name"],
            request.query.get("tag") or None,
            request.headers.get("X-Registry-Auth"),
        )
        async with aclosing(messages):  # a client that goes away ends the push at once
            return await stream_json(request, messages)
