"""Rules for running containers: signal names, and the words and exit codes of failed starts."""

from __future__ import annotations

import re
import signal

from tuibox.engine.domain.errors import InvalidArgument


def parse_signal(text: str | None, default: int) -> int:
    """Read "TERM", "SIGTERM" or "15" into a signal number.

    Raises:
        InvalidArgument: not a signal this host knows.
    """
    if not text:
        return default
    if text.isdigit():
        number = int(text)
        if not 0 < number < 65:
            raise InvalidArgument(f"Invalid signal: {text}")
        return number
    name = text.upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise InvalidArgument(f"Invalid signal: {text}") from None


_MISSING_EXECUTABLE = re.compile(r"executable file `(?P<name>[^`]*)` not found")


def describe_start_failure(crun_text: str) -> str:
    """Say a failed start in the words the docker CLI looks for to pick 127 or 126."""
    missing = _MISSING_EXECUTABLE.search(crun_text)
    if missing:
        name = missing.group("name")
        return f'exec: "{name}": executable file not found in $PATH ({crun_text})'
    if "permission denied" in crun_text.lower():
        return f"permission denied ({crun_text})"
    return crun_text


def start_failure_exit_code(message: str) -> int:
    """The exit code Docker records when a start fails: 127 not found, 126 not runnable."""
    lowered = message.lower()
    if "not found" in lowered or "no such file" in lowered:
        return 127
    if "permission denied" in lowered or "is a directory" in lowered:
        return 126
    return 128
