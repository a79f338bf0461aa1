"""Provides parse_json: JSON from clients and registries, refused cleanly when malformed or deep.

Python's JSON parser raises RecursionError on documents nested about a thousand deep, and
whatever walks a parsed document recursively can fail the same way later; no Docker or
OCI document nests more than a handful of levels, so anything deeper is refused at once.
"""

from __future__ import annotations

import json
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in any JSON document."""


def parse_json(data: str | bytes, what: str) -> Any:
    """Parse JSON, refusing invalid documents and those nested deeper than MAX_DEPTH.

    Args:
        data: The document.
        what: What it is, for the message ("the create body", "filters").

    Raises:
        InvalidArgument: "<what> is not valid JSON: ..." or "<what> is nested too deeply".
    """
    try:
        document = json.loads(data)
    except RecursionError:
        raise InvalidArgument(_too_deep(what)) from None
    except ValueError as err:
        raise InvalidArgument(f"{what} is not valid JSON: {err}") from None
    if nesting_depth(document) > MAX_DEPTH:
        raise InvalidArgument(_too_deep(what))
    return document


def nesting_depth(document: Any) -> int:
    """How deeply objects and arrays nest in a parsed document (a scalar is 0), iteratively."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        pending.extend((child, depth) for child in children)
    return deepest


def _too_deep(what: str) -> str:
    return f"{what} is nested too deeply: at most {MAX_DEPTH} levels of objects and arrays"
