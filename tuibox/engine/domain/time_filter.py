"""Times in filters as Docker takes them: Unix seconds, RFC 3339, or a duration ago (pure)."""

from __future__ import annotations

import re

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument

_UNIX = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,9})?$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_time_filter(key: str, text: str, now: float) -> float:
    """Unix seconds for `until=` or `since=`: "1700000000", "2026-12-01T10:00:00Z", "24h".

    A duration (Go's syntax: 1h30m, 90s) counts back from `now`.

    Raises:
        InvalidArgument: naming the filter, for anything else.
    """
    if _UNIX.match(text):
        return float(text)
    parts = _DURATION_PART.findall(text)
    if parts and "".join(number + unit for number, unit in parts) == text:
        return now - sum(float(number) * _UNITS[unit] for number, unit in parts)
    nanos = timestamps.parse_ns(text)
    if nanos is None:
        raise InvalidArgument(
            f"invalid filter '{key}={text[:64]}': a Unix time, an RFC 3339 time or a "
            "duration such as 24h is expected"
        )
    return nanos / 1e9
