"""The one mapping from engine errors to HTTP responses: status plus Docker's {"message"}."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from tuibox.engine.api.http_errors import describe_body_error
from tuibox.engine.domain.errors import (
    Conflict,
    EngineError,
    Forbidden,
    HostNotReady,
    InvalidArgument,
    NotFound,
    NotModified,
    RuntimeFailure,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTTP_STATUS: dict[type[EngineError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    NotModified: 304,
    InvalidArgument: 400,
    Unauthorized: 401,
    Unavailable: 503,
    RuntimeFailure: 500,
    HostNotReady: 500,
}
"""The HTTP status of each kind of engine error; one not listed (a bug) answers 500."""


def http_status(err: EngineError) -> int:
    """The status of an engine error, by the nearest kind in HTTP_STATUS."""
    for kind in type(err).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 500


def error_response(status: int, message: str) -> web.Response:
    """Build Docker's ErrorResponse; the content type must be exactly application/json."""
    if status == 304:
        return web.Response(status=304)
    return web.Response(
        status=status,
        body=json.dumps({"message": message}).encode(),
        content_type="application/json",
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every exception a handler raises into an HTTP answer; nothing stops the engine."""
    try:
        return await handler(request)
    except NotModified:
        return web.Response(status=304)
    except (web.RequestPayloadError, HttpProcessingError) as err:
        return error_response(400, describe_body_error(err))
    except EngineError as err:
        return error_response(http_status(err), str(err))
    except web.HTTPException as http_err:
        if http_err.status == 404:
            return error_response(
                404, f"page not found: the tuibox engine has no {request.method} {request.path}"
            )
        if http_err.status == 405:
            return error_response(
                405,
                f"method not allowed: the tuibox engine has no {request.method} {request.path}",
            )
        if http_err.status >= 400:
            return error_response(http_err.status, http_err.text or http_err.reason)
        raise
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return error_response(500, f"internal error serving {request.method} {request.path}")
