"""Rules for running containers: signal names, and the words and exit codes of failed starts."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from tuibox.engine.domain.errors import InvalidArgument


def parse_signal(text: str | None, default: int) -> int:
    """Read "TERM", "SIGTERM" or "15" into a signal number.

    Raises:
        InvalidArgument: not a signal this host knows.
    """
    if not text:
        return default
    if re.fullmatch(r"[0-9]{1,3}", text):
        number = int(text)
        if not 0 < number < 65:
            raise InvalidArgument(f"Invalid signal: {text}")
        return number
    name = text.upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    realtime = re.fullmatch(r"SIGRT(MIN|MAX)([+-][0-9]{1,2})?", name)
    if realtime:
        base = signal.SIGRTMIN if realtime.group(1) == "MIN" else signal.SIGRTMAX
        number = int(base) + int(realtime.group(2) or 0)
        if not signal.SIGRTMIN <= number <= signal.SIGRTMAX:
            raise InvalidArgument(f"Invalid signal: {text}")
        return number
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


@dataclass(frozen=True)
class StartFailure:
    """How a failed start is reported: Docker's words, its exit code, and whose fault it is."""

    message: str
    exit_code: int
    bad_command: bool
    """The container's own command cannot run (a 400, as Docker answers), not the engine."""


_OPEN_EXECUTABLE = "open executable: "
"""crun's words when it cannot open the container's program (exec phase)."""
_SHOWN_COMMAND = 80
UNKNOWN_START_FAILURE = 128
"""Docker's exit code for a start that failed for another reason than the command."""


def classify_start_failure(command: str, runtime_text: str, *, is_dir: bool) -> StartFailure:
    """Turn the runtime's complaint about a start into what Docker reports.

    Only crun's exec-phase complaints (the program not found, or not openable: missing,
    empty, too long a path, a directory, not executable) are the user's to fix: Docker
    answers 400 and records 127 (cannot be found) or 126 (cannot be run), in words the
    docker CLI reads to exit with the same code. Any other failure (a mount, conmon, a
    cgroup) is the engine's: a 500 with exit code 128.

    Args:
        command: The container's executable as configured (first word of the command).
        runtime_text: What the runtime said.
        is_dir: Whether `command` names a directory in the container's root filesystem.
    """
    lowered = runtime_text.lower()
    shown = command if len(command) <= _SHOWN_COMMAND else command[:_SHOWN_COMMAND] + "..."
    not_found = _MISSING_EXECUTABLE.search(runtime_text) is not None
    cannot_open = _OPEN_EXECUTABLE in lowered
    if not (not_found or cannot_open):  # the engine's or the host's trouble, not the command's
        return StartFailure(runtime_text, UNKNOWN_START_FAILURE, bad_command=False)
    if not command:
        message = f'exec: "": executable file not found in $PATH ({runtime_text})'
    elif not_found:
        message = describe_start_failure(runtime_text)
    elif "file name too long" in lowered:
        message = f'exec: "{shown}": no such file or directory: the file name is too long'
    elif is_dir:
        message = f'exec: "{shown}": is a directory: permission denied'
    elif "no such file" in lowered:
        message = f'exec: "{shown}": no such file or directory ({runtime_text})'
    else:
        message = f'exec: "{shown}": permission denied ({runtime_text})'
    return StartFailure(message, start_failure_exit_code(message), bad_command=True)
