"""Provides ImageCalls: pull and push (streamed progress), tag and prune, as the docker CLI
sends them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tuibox.client.call_base import EngineCalls
from tuibox.client.progress import ProgressEvent
from tuibox.client.references import split_reference
from tuibox.client.responses import parse_object


@dataclass(frozen=True)
class PruneResult:
    """What POST /images/prune removed: its "Untagged: …" / "Deleted: …" lines and the bytes."""

    lines: tuple[str, ...]
    space_reclaimed: int

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PruneResult:
        """Read Docker's ImagePruneResponse."""
        lines = tuple(f"{key}: {value}" for entry in raw.get("ImagesDeleted") or []
                      for key, value in entry.items())  # fmt: skip
        return cls(lines, int(raw.get("SpaceReclaimed") or 0))


class ImageCalls(EngineCalls):
    """The image calls beyond list, run and remove (a mixin of EngineClient)."""

    async def pull_image(
        self, reference: str, platform: str | None = None
    ) -> AsyncIterator[ProgressEvent]:
        """POST /images/create?fromImage=&tag= (and platform): the pull's progress events.

        Closing the iterator closes the stream, which cancels the pull in the engine.
        An error line in the stream is yielded as an event with `error` set (the last one).
        """
        name, tag = split_reference(reference)
        params = {"fromImage": name, "tag": tag}
        if platform:
            params["platform"] = platform
        async for raw in self._json_lines("POST", "/images/create", what="pull", params=params):
            yield ProgressEvent.from_json(raw)

    async def push_image(self, reference: str) -> AsyncIterator[ProgressEvent]:
        """POST /images/{name}/push?tag=: the push's progress events, as pull_image.

        No X-Registry-Auth is sent: the engine uses the credentials a login stored.
        """
        name, tag = split_reference(reference)
        path = f"/images/{quote(name, safe='/:')}/push"
        async for raw in self._json_lines("POST", path, what="push", params={"tag": tag}):
            yield ProgressEvent.from_json(raw)

    async def tag_image(self, source: str, target: str) -> None:
        """POST /images/{source}/tag?repo=&tag=: `target` ("repo[:tag]") names the image too."""
        repo, tag = split_reference(target)
        await self._call("POST", f"/images/{quote(source, safe='/:@')}/tag",
                         params={"repo": repo, "tag": tag})  # fmt: skip

    async def prune_images(self, all: bool = False) -> PruneResult:
        """POST /images/prune: the dangling images, or (`all`, `-a`) every unused one."""
        filters = json.dumps({"dangling": ["false" if all else "true"]})
        response = await self._call("POST", "/images/prune", params={"filters": filters})
        return parse_object(response, PruneResult.from_json)
