"""Provides is_shown: whether any part of a screen can be seen on the terminal."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def is_shown(screen: Screen[Any]) -> bool:
    """Whether `screen` is on top, or only see-through screens (modals) lie above it.

    Textual's `Screen.is_current` also counts the screen just below an opaque one (it is
    kept "in the background"); a covered screen that keeps redrawing makes Textual repaint
    the whole terminal each time, so covered screens wait until they are shown again.
    """
    try:
        stack = screen.app.screen_stack
    except Exception:  # not on a stack yet, or the app is closing
        return False
    if screen not in stack:
        return False
    above = stack[stack.index(screen) + 1 :]
    return all(other.styles.background.a < 1 for other in above)
