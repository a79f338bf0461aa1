"""Provides the checked decoding of engine responses: bad JSON or shapes become a ServerError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from tuibox.client.errors import ServerError

SNIPPET_LENGTH = 80
"""How much of a non-JSON body the error message quotes."""

ParsedT = TypeVar("ParsedT")


def _unexpected(response: httpx.Response, what: str) -> ServerError:
    route = f"{response.request.method} {response.request.url.path}"
    return ServerError(f"unexpected response from the engine: {route} returned {what}")


def json_body(response: httpx.Response, expected: type[list[Any]] | type[dict[str, Any]]) -> Any:
    """The response's JSON, which must be a list or an object as `expected` says.

    Raises:
        ServerError: the body is not JSON, or not of the expected kind.
    """
    try:
        body = response.json()
    except ValueError as err:
        snippet = response.text.strip().splitlines()[0][:SNIPPET_LENGTH] if response.text else ""
        raise _unexpected(response, f"something that is not JSON: {snippet!r}") from err
    if body is None and expected is list:
        return []
    if not isinstance(body, expected):
        wanted = "an array" if expected is list else "an object"
        raise _unexpected(response, f"JSON {type(body).__name__} where {wanted} was expected")
    return body


def _shaped(response: httpx.Response, parse: Callable[[], ParsedT]) -> ParsedT:
    """Run `parse` over the response's JSON; a body of the wrong shape becomes a ServerError."""
    try:
        return parse()
    except (AttributeError, TypeError, ValueError, KeyError) as err:
        raise _unexpected(response, f"JSON of an unexpected shape ({err})") from err


def parse_object(
    response: httpx.Response, parse: Callable[[Mapping[str, Any]], ParsedT]
) -> ParsedT:
    """Parse a JSON object body with `parse`; anything else raises ServerError."""
    body = json_body(response, dict)
    return _shaped(response, lambda: parse(body))


def parse_list(
    response: httpx.Response, parse: Callable[[Mapping[str, Any]], ParsedT]
) -> list[ParsedT]:
    """Parse each item of a JSON array body (null counts as empty); anything else raises."""
    body = json_body(response, list)
    return _shaped(response, lambda: [parse(item) for item in body])
