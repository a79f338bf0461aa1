"""Provides pure display functions: Docker-style sizes, ages, short IDs, terminal-safe text."""

from __future__ import annotations

import re

from tuibox import humanize
from tuibox.humanize import human_duration

SHORT_ID_LENGTH = 12
NO_TAG = "<none>:<none>"

__all__ = ["age", "human_duration", "human_size", "short_id", "terminal_safe"]


def human_size(size_bytes: float) -> str:
    """Format a byte count the way `docker images` does: three significant digits."""
    return humanize.human_size(size_bytes, precision=3)


def age(created_unix: float, now_unix: float) -> str:
    """Say how long ago a Unix timestamp was, e.g. "2 minutes ago"; "N/A" for 0.

    Args:
        created_unix: The creation time in Unix seconds (0 when unknown).
        now_unix: The current time in Unix seconds (injected so tests can freeze it).

    Returns:
        The age text as `docker ps` and `docker images` print it.
    """
    if created_unix <= 0:
        return "N/A"
    return f"{human_duration(max(0.0, now_unix - created_unix))} ago"


def short_id(object_id: str) -> str:
    """The first 12 hex digits of an ID, without any "sha256:" prefix."""
    return object_id.split(":", 1)[-1][:SHORT_ID_LENGTH]


def image_reference(repo_tags: tuple[str, ...] | list[str]) -> str:
    """The reference to show for an image: its first tag, or "<none>:<none>" when dangling."""
    for tag in repo_tags:
        if tag != NO_TAG:
            return tag
    return NO_TAG


def first_line(text: str) -> str:
    """The first non-empty line of `text` (for one-line displays of multi-line messages)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


_TERMINAL_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?          # CSI: cursor moves, clears, colours (SGR)
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])      # OSC, DCS, SOS, PM, APC strings ...
      (?:[^\x07\x1b\x9c]*)(?:\x07|\x1b\\|\x9c)?  # ... up to BEL or ST (or the end)
    | \x1b[ -/]*[0-~]?                         # any other escape sequence, or a lone ESC
    | [\x00-\x08\x0a-\x1f\x7f-\x9f]            # remaining C0 (tab kept), DEL and C1 controls
    """,
    re.VERBOSE,
)
_LINE_SEPARATORS = str.maketrans({"\u2028": " ", "\u2029": " "})


def terminal_safe(line: str) -> str:
    """Strip everything a terminal would act on from one line of container output.

    Escape sequences (CSI such as clears, cursor moves and colours; OSC such as clipboard
    writes and titles; DCS, PM, APC), C0 controls except tab, DEL and C1 controls are
    removed. A carriage return keeps only what follows it, as a terminal would show it.

    Args:
        line: One line of output, without its newline.

    Returns:
        Printable text only (tabs kept).
    """
    line = line.rstrip("\r").rsplit("\r", 1)[-1]
    return _TERMINAL_SEQUENCE.sub("", line).translate(_LINE_SEPARATORS)
