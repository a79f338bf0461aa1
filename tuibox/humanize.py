"""Human text for durations and sizes (go-units), shared by the engine and the TUI.

The engine uses them for `docker ps` Status and pull progress, the TUI for ages and image
sizes. Neither side imports the other, so the one rule for each lives here, outside both.
"""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """Describe a duration as Docker does (go-units HumanDuration), e.g. "About a minute".

    Args:
        seconds: The duration in seconds.

    Returns:
        Text such as "Less than a second", "5 seconds", "2 minutes", "3 days".
    """
    whole_seconds = int(seconds)
    minutes = whole_seconds // 60
    hours = int(seconds / 3600 + 0.5)
    if whole_seconds < 1:
        return "Less than a second"
    if whole_seconds == 1:
        return "1 second"
    if whole_seconds < 60:
        return f"{whole_seconds} seconds"
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds // 3600) // 24 // 365} years"


DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size_bytes: float, precision: int = 4) -> str:
    """Format a byte count as go-units HumanSize does: decimal units, `precision` digits.

    Args:
        size_bytes: The size in bytes.
        precision: Significant digits: Docker's pull progress uses 4, `docker images` 3.

    Returns:
        Text such as "527B", "1.2MB", "4.27MB".
    """
    size = float(size_bytes)
    unit_index = 0
    while size >= 1000.0 and unit_index < len(DECIMAL_UNITS) - 1:
        size /= 1000.0
        unit_index += 1
    return f"{size:.{precision}g}{DECIMAL_UNITS[unit_index]}"
