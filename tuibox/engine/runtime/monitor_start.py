"""Start conmon held on its start pipe until it is in its own cgroup, as podman does.

conmon 2.x blocks on ``_OCI_STARTPIPE`` before it forks anything, so once it has been
moved, its daemon, ``crun create`` and the container's init all start outside the
engine's cgroup (crun then moves the init on to the container's own cgroup).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from tuibox.engine.domain.errors import EngineError

log = logging.getLogger(__name__)

MonitorPlacement = Callable[[int], None]
"""Moves a process to the monitors' cgroup; raises an EngineError saying what refused."""


async def spawn_monitor(
    argv: list[str],
    place: MonitorPlacement | None,
    *,
    pass_fds: tuple[int, ...],
    env: dict[str, str],
    **options: Any,
) -> asyncio.subprocess.Process:
    """``asyncio.create_subprocess_exec`` of conmon, placed by ``place`` before it goes on.

    A placement that fails is logged and conmon goes on in the engine's cgroup: the
    container works, only a service manager stopping the engine would take it along.
    """
    if place is None:
        return await asyncio.create_subprocess_exec(*argv, pass_fds=pass_fds, env=env, **options)
    read_fd, write_fd = os.pipe()
    try:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, pass_fds=(*pass_fds, read_fd),
                env={**env, "_OCI_STARTPIPE": str(read_fd)}, **options,
            )  # fmt: skip
        finally:
            os.close(read_fd)
        try:
            place(proc.pid)
        except EngineError as err:
            log.warning("%s; stopping the engine's service would stop this container too", err)
        os.write(write_fd, b"1")
    finally:
        os.close(write_fd)  # at EOF conmon goes on as well, whatever happened above
    return proc
