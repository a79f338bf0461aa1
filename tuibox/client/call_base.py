"""Provides EngineCalls: what the client's call groups (images, registries, ...) build on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from tuibox.client.errors import EngineError, EngineUnavailableError, error_from_response

STREAM_TIMEOUT = httpx.Timeout(30.0, connect=5.0, read=None)
"""A pull or push may say nothing for minutes (a big layer unpacking): no read timeout."""


class EngineCalls:
    """The transport EngineClient gives its call groups: _send, _versioned, _call and _http.

    A group is a mixin of EngineClient; it reaches the engine only through these.
    """

    _http: httpx.AsyncClient

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    async def _versioned(self, path: str) -> str:
        raise NotImplementedError

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    async def _json_lines(
        self, method: str, path: str, *, what: str, params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Mapping[str, Any]]:  # fmt: skip
        """Stream a response of one JSON object per line (a pull's or push's progress).

        Closing the iterator early closes the HTTP stream: the engine sees the client go.

        Raises:
            EngineError: the engine refused the request, or sent a line that is not JSON.
            EngineUnavailableError: the connection broke.
        """
        url = await self._versioned(path)
        try:
            async with self._http.stream(method, url, params=params, headers=headers,
                                         timeout=STREAM_TIMEOUT) as response:  # fmt: skip
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, await response.aread(), url)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    try:
                        decoded = json.loads(line)
                    except ValueError as err:
                        raise EngineError(f"the engine sent a {what} line that is not JSON: "
                                          f"{line[:80]!r}") from err  # fmt: skip
                    if isinstance(decoded, Mapping):
                        yield decoded
        except httpx.TransportError as err:
            raise EngineUnavailableError(f"{what} stream from the engine broke: {err}") from err
