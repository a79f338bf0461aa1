"""Request parsing and response helpers shared by the route modules."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Collection
from typing import Any

from aiohttp import web

from tuibox.engine.domain.errors import EngineError, InvalidArgument
from tuibox.engine.domain.json_input import parse_json

log = logging.getLogger(__name__)

BODY_TIMEOUT = 10.0
"""A JSON body (16 MiB at most) that takes longer than this is a stalled client."""
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Docker reads integers as Go's int64; anything wider is refused, never wrapped."""
_FALSE_WORDS = {"", "0", "no", "false", "none"}


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with the content type exactly application/json, as the docker CLI wants."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json"
    )


def refuse_unknown_query(
    request: web.Request, route: str, known: Collection[str] = frozenset()
) -> None:
    """The engine never ignores what it was asked: a query parameter not in `known` is
    refused by name (the first one, sorted, cut to 64 characters).

    Raises:
        InvalidArgument: "unknown query parameter for <route>: <name>".
    """
    unknown = sorted(key for key in request.query if key not in known)
    if unknown:
        raise InvalidArgument(f"unknown query parameter for {route}: {unknown[0][:64]}")


def query_bool(request: web.Request, key: str, default: bool = False) -> bool:
    """Read a boolean query value the way moby does: false for "", 0, no, false, none."""
    if key not in request.query:
        return default
    return request.query[key].strip().lower() not in _FALSE_WORDS


TERMINAL_SIDE_MAX = 65535


def query_terminal_size(request: web.Request) -> tuple[int, int]:
    """`h` and `w` of a resize request, as (rows, columns).

    Raises:
        InvalidArgument: one missing, not an integer, or out of a terminal's range.
    """
    height, width = query_int(request, "h"), query_int(request, "w")
    if height is None or width is None:
        raise InvalidArgument("resize needs both h and w (the terminal's rows and columns)")
    if not (0 <= height <= TERMINAL_SIDE_MAX and 0 <= width <= TERMINAL_SIDE_MAX):
        raise InvalidArgument(f"invalid resize height or width: {height}x{width}")
    return height, width


def query_int(request: web.Request, key: str, default: int | None = None) -> int | None:
    """Read an integer query value, or raise InvalidArgument naming the key."""
    raw = request.query.get(key)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", raw.strip()):
        raise InvalidArgument(f"invalid value for {key}: {raw[:64]!r} is not an integer")
    value = int(raw)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidArgument(f"invalid value for {key}: {raw[:64]!r} is out of range")
    return value


_UNIX_TIME = re.compile(r"(-?\d{1,12})(?:\.(\d{1,9}))?", re.ASCII)


def query_unix_ns(request: web.Request, key: str) -> int | None:
    """A time given as Docker's clients send it: Unix seconds with up to nine decimals.

    Raises:
        InvalidArgument: naming the key, for anything else (inf, 1e400, 400 digits...).
    """
    text = request.query.get(key)
    if not text:
        return None
    match = _UNIX_TIME.fullmatch(text)
    if match is None:
        raise InvalidArgument(
            f"invalid value for {key}: {text[:64]!r} is not a Unix time (seconds[.nanoseconds])"
        )
    seconds, fraction = match.groups()
    nanos = int((fraction or "0").ljust(9, "0"))
    sign = -1 if seconds.startswith("-") else 1
    return int(seconds) * 1_000_000_000 + sign * nanos


def query_filters(request: web.Request) -> dict[str, list[str]]:
    """Parse the JSON `filters` value in both the map and the legacy list form."""
    raw = request.query.get("filters")
    if not raw:
        return {}
    parsed = parse_json(raw, f"invalid filters: {raw[:64]!r}")
    if not isinstance(parsed, dict):
        raise InvalidArgument("invalid filters: expected a JSON object")
    filters: dict[str, list[str]] = {}
    for key, value in parsed.items():
        if isinstance(value, dict):
            filters[str(key)] = [str(k) for k, on in value.items() if on]
        elif isinstance(value, list):
            filters[str(key)] = [str(v) for v in value]
        else:
            raise InvalidArgument(f"invalid filter {key!r}: expected a map or a list")
    return filters


async def read_json_body(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    """Read a JSON object body; an empty body is {} unless required.

    Raises:
        InvalidArgument: the body is not valid JSON or not an object.
    """
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            raw = await request.read()
    except TimeoutError:
        raise InvalidArgument(
            f"the request body did not arrive within {BODY_TIMEOUT:.0f} s"
        ) from None
    content_type = request.headers.get("Content-Type", "")
    if raw and content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise InvalidArgument(
            f"unsupported Content-Type header ({content_type}): must be 'application/json'"
        )
    if not raw.strip():
        if required:
            raise InvalidArgument("request body is empty; a JSON object was expected")
        return {}
    body = parse_json(raw, "malformed JSON body: the request body")
    if not isinstance(body, dict):
        raise InvalidArgument("malformed JSON body: expected an object")
    return body


async def stream_json(
    request: web.Request, messages: AsyncIterator[dict[str, Any]]
) -> web.StreamResponse:
    """Stream progress objects, chunked, one per write; errors after the start go in-band.

    The first message is awaited before the headers go out, so an error raised at once
    (no such repository) still becomes a plain HTTP error, as moby does.
    """
    iterator = aiter(messages)
    try:
        first: dict[str, Any] | None = await anext(iterator)
    except StopAsyncIteration:
        first = None
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        if first is not None:
            await response.write(_progress_line(first))
            async for message in iterator:
                await response.write(_progress_line(message))
    except EngineError as err:
        await response.write(
            _progress_line({"errorDetail": {"message": str(err)}, "error": str(err)})
        )
    except (ConnectionResetError, ConnectionError):
        log.info("client went away during a stream on %s", request.path)
        return response
    except Exception as err:  # an engine bug must not kill the stream silently
        log.exception("stream on %s failed", request.path)
        text = f"internal error: {err}"
        await response.write(_progress_line({"errorDetail": {"message": text}, "error": text}))
    await response.write_eof()
    return response


def _progress_line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\r\n"
