"""Typed engine errors; api/errors.py maps each kind to an HTTP status once."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose; its text is shown to the user."""

    status = 500


class NotFound(EngineError):
    """The named image, container or blob does not exist."""

    status = 404


class Conflict(EngineError):
    """The request clashes with the current state (name in use, container running)."""

    status = 409


class NotModified(EngineError):
    """The object is already in the requested state (start a running container)."""

    status = 304


class InvalidArgument(EngineError):
    """The request itself is malformed or names something invalid."""

    status = 400


class Unauthorized(EngineError):
    """A registry refused the credentials."""

    status = 401


class Unavailable(EngineError):
    """A peer the engine needs (a registry) cannot be reached."""

    status = 503


class RuntimeFailure(EngineError):
    """crun, conmon or the kernel refused an operation; carries the tool's own words."""

    status = 500


class HostNotReady(EngineError):
    """The host lacks something the engine needs; the text says how to fix it."""

    status = 500
