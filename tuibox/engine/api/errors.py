"""The one mapping from engine errors to HTTP responses: status plus Docker's {"message"}."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from tuibox.engine.api.http_errors import describe_body_error
from tuibox.engine.domain.errors import EngineError, NotModified

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
        return error_response(err.status, str(err))
    except web.HTTPException as http_err:
        if http_err.status == 404:
            return error_response(404, "page not found")
        if http_err.status == 405:
            return error_response(405, f"method {request.method} not allowed on {request.path}")
        if http_err.status >= 400:
            return error_response(http_err.status, http_err.text or http_err.reason)
        raise
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return error_response(500, f"internal error serving {request.method} {request.path}")
