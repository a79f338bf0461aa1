"""Type checks the HostConfig rules share (pure)."""

from __future__ import annotations

from typing import Any

from tuibox.engine.domain.errors import InvalidArgument


def string_list(value: Any, key: str) -> list[str]:
    """HostConfig.`key` as a list of strings ([] when absent).

    Raises:
        InvalidArgument: anything else, naming the field.
    """
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"HostConfig.{key} must be a list of strings")
    return value
