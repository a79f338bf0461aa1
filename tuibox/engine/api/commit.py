"""Route for `docker commit`: POST /commit."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tuibox.engine.api.common import BODY_TIMEOUT, json_response, query_bool, refuse_unknown_query
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.services.containers.commit import CommitRequest, ContainerCommit

KNOWN_QUERY = frozenset({"container", "repo", "tag", "comment", "author", "pause", "changes"})


class CommitRoutes:
    """A thin handler over ContainerCommit."""

    def __init__(self, commits: ContainerCommit) -> None:
        self.commits = commits

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/commit", self.commit)]

    async def commit(self, request: web.Request) -> web.Response:
        query = request.query
        refuse_unknown_query(request, "POST /commit", KNOWN_QUERY)
        container = query.get("container", "")
        if not container:
            raise InvalidArgument("No container name or ID supplied")
        commit = CommitRequest(
            repo=query.get("repo", ""),
            tag=query.get("tag", ""),
            comment=query.get("comment", ""),
            author=query.get("author", ""),
            pause=query_bool(request, "pause", default=True),
            changes=query.getall("changes", []),
            config=await _config_body(request),
        )
        image_id = await self.commits.commit(container, commit)
        return json_response({"Id": image_id}, status=201)


async def _config_body(request: web.Request) -> dict[str, Any]:
    """The Config to commit with: empty, `null` (what the CLI sends) or a JSON object."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            raw = await request.read()
    except TimeoutError:
        raise InvalidArgument(
            f"the request body did not arrive within {BODY_TIMEOUT:.0f} s"
        ) from None
    if not raw.strip():
        return {}
    body = parse_json(raw, "malformed JSON body: the commit Config")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidArgument("malformed JSON body: the commit Config must be an object")
    return body
