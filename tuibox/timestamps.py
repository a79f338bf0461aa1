"""Docker-style timestamps (RFC 3339 with up to nine fractional digits), for engine and client.

Docker writes times as RFC 3339 in UTC with nanoseconds (`2026-11-28T17:45:10.779192938Z`)
and uses `0001-01-01T00:00:00Z` for "never". Python's datetime keeps only microseconds,
so times are carried as integer nanoseconds since the epoch and parsed by hand.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Docker's zero time: a start or finish that has not happened."""

_NS_PER_SECOND = 1_000_000_000
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_ns(text: str | bytes) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 time; None when it is not a valid time.

    Args:
        text: Such as `2026-11-28T17:45:10.779192938Z` or `2026-11-28T19:45:10.5+02:00`.

    Returns:
        The instant in nanoseconds, or None for text that is not a time (including dates
        such as February 30 and the years Python cannot hold).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            return None
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
        seconds = int(moment.timestamp())
    except (ValueError, OverflowError):
        return None
    return seconds * _NS_PER_SECOND + int((fraction or "0").ljust(9, "0"))


def parse_seconds(text: str) -> int | None:
    """Whole Unix seconds of an RFC 3339 time; None for Docker's zero time or invalid text."""
    if text == ZERO_TIME:
        return None
    nanos = parse_ns(text)
    return None if nanos is None else nanos // _NS_PER_SECOND


def format_ns(time_ns: int) -> str:
    """RFC 3339 in UTC with nine fractional digits, as Docker prints State.StartedAt."""
    seconds, nanos = divmod(time_ns, _NS_PER_SECOND)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


def format_unix(seconds: float) -> str:
    """RFC 3339 with nine fractional digits of a Unix time given in (fractional) seconds."""
    return format_ns(int(seconds * _NS_PER_SECOND))


def format_seconds(seconds: int) -> str:
    """RFC 3339 in UTC without a fraction; Docker's zero time for 0 or less."""
    if seconds <= 0:
        return ZERO_TIME
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    """The current time with nine fractional digits."""
    return format_ns(time.time_ns())
