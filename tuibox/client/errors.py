"""Provides the EngineError tree, rebuilt from an HTTP status and Docker's {"message"} body."""

from __future__ import annotations

import json


class EngineError(Exception):
    """Any failure reported by, or on the way to, a Docker-compatible engine.

    Attributes:
        status: The HTTP status the engine answered with, or None for transport failures.
        message: The engine's own sentence, shown to the user as-is.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class EngineUnavailableError(EngineError):
    """Nothing answers on the engine socket, or the connection broke mid-request."""


class UnsupportedEngineError(EngineUnavailableError):
    """The engine answers but speaks a Docker API older than tuibox can use (below 1.24)."""


class InvalidArgumentError(EngineError):
    """The engine refused the request as malformed (HTTP 400)."""


class UnauthorizedError(EngineError):
    """The engine or a registry wants credentials (HTTP 401)."""


class ForbiddenError(EngineError):
    """The engine forbids the operation (HTTP 403)."""


class NotFoundError(EngineError):
    """The container, image or route does not exist (HTTP 404)."""


class ConflictError(EngineError):
    """The object is in a state that forbids the operation (HTTP 409)."""


class NotImplementedByEngineError(EngineError):
    """The engine does not implement this endpoint (HTTP 501)."""


class ServiceUnavailableError(EngineError):
    """The engine is up but cannot serve the request now (HTTP 503)."""


class ServerError(EngineError):
    """The engine failed internally (HTTP 500 and any other unexpected status)."""


_ERROR_BY_STATUS: dict[int, type[EngineError]] = {
    400: InvalidArgumentError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    501: NotImplementedByEngineError,
    503: ServiceUnavailableError,
}


def error_from_response(status: int, body: bytes, route: str) -> EngineError:
    """Build the typed error for a failed response.

    Like the docker CLI, the message comes from the JSON `message` field, but any content
    type is accepted, and a non-JSON body is used as the message text.

    Args:
        status: The HTTP status code (>= 400).
        body: The raw response body.
        route: The request path, named in the message when the body is empty.

    Returns:
        An instance of the EngineError subclass for `status`.
    """
    message = _message_from_body(body)
    if not message:
        message = f"request returned {status} for API route {route}"
    error_class = _ERROR_BY_STATUS.get(status, ServerError)
    return error_class(message, status)


def _message_from_body(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    if isinstance(decoded, dict):
        message = decoded.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    return text
