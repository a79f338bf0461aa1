"""Provides pure display functions: Docker-style sizes, ages, short IDs, terminal-safe text."""

from __future__ import annotations

import re

from tuibox import humanize
from tuibox.humanize import human_duration

SHORT_ID_LENGTH = 12
NO_TAG = "<none>:<none>"

BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")

__all__ = [
    "age",
    "binary_size",
    "human_duration",
    "human_size",
    "memory_pair",
    "percent",
    "sgr_only",
    "short_id",
    "terminal_safe",
]


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


_SGR = re.compile(r"\x1b\[[0-9;:]*m")
"""Select Graphic Rendition: colours and text styles, the only sequences kept in log lines."""


def sgr_only(line: str) -> str:
    """Like terminal_safe, but colour and style sequences (SGR, `ESC[...m`) are kept.

    The result is meant for Rich's ANSI decoder, which turns the SGR sequences into styles;
    everything between them went through terminal_safe, so no other sequence survives.

    Args:
        line: One line of output, without its newline.

    Returns:
        Printable text (tabs kept) and SGR sequences.
    """
    line = line.rstrip("\r").rsplit("\r", 1)[-1]
    pieces = _SGR.split(line)
    sequences = _SGR.findall(line)
    cleaned = [terminal_safe(piece) for piece in pieces]
    return "".join(piece + sequence for piece, sequence in zip(cleaned, [*sequences, ""],
                                                                strict=True))  # fmt: skip


def strip_sgr(line: str) -> str:
    """The text of an sgr_only line without its SGR sequences."""
    return _SGR.sub("", line)


def percent(value: float) -> str:
    """A percentage to the whole, e.g. "23%" (CPU over 100 when busy on several cores)."""
    return f"{max(0.0, value):.0f}%"


def _binary_unit(size_bytes: float) -> tuple[float, str]:
    """The size in the largest binary unit that keeps it under 1000 (so at most 3 digits)."""
    size = max(0.0, float(size_bytes))
    unit_index = 0
    while size >= 999.5 and unit_index < len(BINARY_UNITS) - 1:
        size /= 1024.0
        unit_index += 1
    return size, BINARY_UNITS[unit_index]


def _two_digits(value: float) -> str:
    """One decimal below 10, none above: at most 3 characters below 1000."""
    return f"{value:.1f}" if value < 9.95 else f"{value:.0f}"


def binary_size(size_bytes: float) -> str:
    """A memory size in binary units as `docker stats` shows it, shorter: "64MiB", "1.5GiB"."""
    size, unit = _binary_unit(size_bytes)
    return f"{size:.0f}{unit}" if unit == "B" else f"{_two_digits(size)}{unit}"


def memory_pair(used_bytes: float, total_bytes: float) -> str:
    """Used and total memory in the total's binary unit, e.g. "5.0/24 GiB"."""
    total, unit = _binary_unit(total_bytes)
    scale = total_bytes / total if total else 1.0
    used = max(0.0, used_bytes) / scale
    return f"{_two_digits(used)}/{_two_digits(total)} {unit}"
