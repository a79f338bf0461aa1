"""Provides parse_window: the Logs tab's history window, `1000`, `all`, `10m` or a time."""

from __future__ import annotations

import re

from tuibox.timestamps import parse_ns

DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d)")
SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
WINDOW_HELP = ("A line count (500), all, a duration back from now (90s, 10m, 2h, 1d) "
               "or an RFC 3339 time (2025-06-15T15:00:00Z).")  # fmt: skip


def parse_window(text: str, now: float) -> tuple[int | str, float | None]:
    """Read a history window: (tail, since) for the logs call.

    Args:
        text: What the user typed.
        now: The current Unix time, for durations.

    Returns:
        (line count or "all", None) for a count; ("all", Unix time) for a duration or a time.

    Raises:
        ValueError: the text is none of those; the message says what is expected.
    """
    text = text.strip()
    if text.lower() == "all":
        return "all", None
    if text.isdigit():
        return int(text), None
    if match := DURATION.fullmatch(text):
        return "all", now - float(match.group(1)) * SECONDS_PER_UNIT[match.group(2)]
    if (nanos := parse_ns(text)) is not None:
        return "all", nanos / 1e9
    raise ValueError(f"{text!r} is not a window. {WINDOW_HELP}")


def window_problem(text: str) -> str | None:
    """What is wrong with a window typed in the prompt, None when it reads."""
    try:
        parse_window(text, 0.0)
    except ValueError as err:
        return str(err)
    return None
