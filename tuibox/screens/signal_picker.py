"""Provides SignalPicker: the signal `K` sends to a container, KILL first as in docker kill."""

from __future__ import annotations

from tuibox.screens.choice import ChoiceModal

SIGNALS: tuple[tuple[str, str], ...] = (
    ("KILL", "end at once, no cleanup"),
    ("TERM", "ask to end (what stop sends first)"),
    ("INT", "interrupt, as Ctrl+C"),
    ("HUP", "hang up: many daemons reload their config"),
    ("QUIT", "quit, often with a core dump"),
    ("USR1", "user-defined 1"),
    ("USR2", "user-defined 2"),
    ("STOP", "suspend the process (CONT resumes it)"),
    ("CONT", "resume a stopped process"),
)
"""The signals offered, with what each usually means."""


class SignalPicker(ChoiceModal):
    """The signals with their meaning; Enter answers the name, Esc answers None."""

    def __init__(self, container_name: str) -> None:
        super().__init__(f"Send a signal to {container_name}",
                         [(name, f"{name:<5} {meaning}") for name, meaning in SIGNALS])  # fmt: skip
