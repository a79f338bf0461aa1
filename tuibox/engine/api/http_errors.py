"""HTTP parse errors as Docker's JSON error bodies: one clear line, never the raw bytes."""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.http_exceptions import (
    BadStatusLine,
    HttpProcessingError,
    InvalidURLError,
    LineTooLong,
    TransferEncodingError,
)


def json_error(status: int, message: str) -> web.Response:
    """Docker's error body; the content type must be exactly application/json."""
    return web.Response(
        status=status,
        body=json.dumps({"message": message}).encode(),
        content_type="application/json",
    )


def describe_parse_error(
    exc: HttpProcessingError, *, request_line_length: int | None
) -> tuple[int, str]:
    """Status and a one-line message for an aiohttp parser error, without the raw bytes.

    request_line_length is None while the request line has not ended; aiohttp raises
    the same LineTooLong for the request line and for a header field.
    """
    if isinstance(exc, LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else "the limit of"
        if request_line_length is None or (
            isinstance(limit, int) and request_line_length > limit
        ):
            return 400, f"bad request: request line is longer than {limit} bytes"
        return 431, f"bad request: a header field is longer than {limit} bytes"
    text = _first_sentence(exc.message)
    if text.lower().startswith("too many headers"):
        return 431, "bad request: too many header fields"
    if isinstance(exc, BadStatusLine | InvalidURLError):
        return 400, f"bad request: malformed request line ({text or 'unparsable'})"
    if isinstance(exc, TransferEncodingError):
        return 400, f"bad request: malformed chunked encoding ({text or 'unparsable'})"
    return 400, f"bad request: {text or 'malformed HTTP request'}"


def describe_body_error(exc: BaseException) -> str:
    """A one-line message for a request body the parser rejected (bad chunked encoding)."""
    if isinstance(exc, web.RequestPayloadError) and exc.__cause__ is not None:
        exc = exc.__cause__  # aiohttp wraps the parser's error
    if not isinstance(exc, HttpProcessingError):
        return f"bad request: malformed request body ({_first_sentence(str(exc)) or 'unparsable'})"
    if isinstance(exc, LineTooLong):
        limit = exc.args[1] if len(exc.args) > 1 else "the limit of"
        return f"bad request: malformed request body (a chunk line is longer than {limit} bytes)"
    return f"bad request: malformed request body ({_first_sentence(exc.message) or 'unparsable'})"


def _first_sentence(message: str) -> str:
    """aiohttp's text up to the echoed bytes, on one line: 'Invalid character in Content-Length'."""
    head = " ".join(message.split("\n\n", 1)[0].split())
    if head.lower().startswith("bad status line:"):
        head = head[len("bad status line:") :].strip()
    head = head.rstrip(":.").strip()
    if len(head) > 1 and head[0].isupper() and head[1].islower():
        head = head[0].lower() + head[1:]
    return head
