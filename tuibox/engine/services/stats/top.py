"""`docker top`: the host's ps output, kept to the rows of the container's processes (pure)."""

from __future__ import annotations

from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

DEFAULT_PS_ARGS = ["-ef"]
"""What Docker runs when `ps_args` is not given (columns UID PID PPID C STIME TTY TIME CMD)."""


def ps_arguments(ps_args: str | None) -> list[str]:
    """The arguments for ps: Docker splits `ps_args` on spaces.

    Raises:
        InvalidArgument: arguments ps would not print one row per process with (-q).
    """
    if not ps_args:
        return list(DEFAULT_PS_ARGS)
    words = ps_args.split()
    if any(word.startswith("-") and "q" in word.lstrip("-") for word in words):
        raise InvalidArgument("ps_args can not contain -q: top needs one row per process")
    return words


def filter_processes(output: str, pids: set[int]) -> dict[str, Any]:
    """Docker's ContainerTopResponse: the header's titles and the rows of `pids`.

    Raises:
        InvalidArgument: the output has no PID column (ps_args that leave it out).
    """
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        raise InvalidArgument("ps printed nothing")
    titles = lines[0].split()
    if "PID" not in titles:
        raise InvalidArgument("Couldn't find PID field in ps output")
    pid_index = titles.index("PID")
    processes = []
    for line in lines[1:]:
        fields = line.split()
        if len(fields) <= pid_index:
            continue
        try:
            pid = int(fields[pid_index])
        except ValueError:
            continue
        if pid in pids:
            last = len(titles) - 1
            processes.append([*fields[:last], " ".join(fields[last:])])
    return {"Titles": titles, "Processes": processes}
