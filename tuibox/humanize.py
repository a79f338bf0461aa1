"""Human text for durations, shared by the engine (docker ps Status) and the TUI (ages).

Neither side imports the other, so the one go-units rule lives here, outside both.
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
