"""Typed engine errors; api/errors.py maps each kind to an HTTP status, in one table."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose; its text is shown to the user."""


class NotFound(EngineError):
    """The named image, container or blob does not exist."""


class Conflict(EngineError):
    """The request clashes with the current state (name in use, container running)."""


class Forbidden(EngineError):
    """The request is understood and refused by rule (remove a predefined network)."""


class NotModified(EngineError):
    """The object is already in the requested state (start a running container)."""


class InvalidArgument(EngineError):
    """The request itself is malformed or names something invalid."""


class Unauthorized(EngineError):
    """A registry refused the credentials."""


class Unavailable(EngineError):
    """A peer the engine needs (a registry) cannot be reached."""


class RuntimeFailure(EngineError):
    """crun, conmon or the kernel refused an operation; carries the tool's own words."""


class HostNotReady(EngineError):
    """The host lacks something the engine needs; the text says how to fix it."""
