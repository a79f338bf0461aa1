"""What the host lets containers have: the engine's capabilities and rlimits, its devices, tini."""

from __future__ import annotations

import os
import resource
import shutil
import stat
from pathlib import Path
from typing import Any

from tuibox.engine.domain.capabilities import ALL_CAPABILITIES
from tuibox.engine.domain.errors import InvalidArgument

_RLIMITS = {  # RLIMIT_LOCKS (10) is missing from Python's resource module
    "as": resource.RLIMIT_AS, "core": resource.RLIMIT_CORE, "cpu": resource.RLIMIT_CPU,
    "data": resource.RLIMIT_DATA, "fsize": resource.RLIMIT_FSIZE,
    "locks": 10, "memlock": resource.RLIMIT_MEMLOCK,
    "msgqueue": resource.RLIMIT_MSGQUEUE, "nice": resource.RLIMIT_NICE,
    "nofile": resource.RLIMIT_NOFILE, "nproc": resource.RLIMIT_NPROC,
    "rss": resource.RLIMIT_RSS, "rtprio": resource.RLIMIT_RTPRIO,
    "rttime": resource.RLIMIT_RTTIME, "sigpending": resource.RLIMIT_SIGPENDING,
    "stack": resource.RLIMIT_STACK,
}  # fmt: skip
_SKIPPED_DEV_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})
INIT_NAMES = ("tini-static", "catatonit")
"""Statically linked inits (an image may have no libc); Debian's tini package has tini-static."""
INIT_PATH_IN_CONTAINER = "/sbin/docker-init"


def bounding_capabilities(status: str | None = None) -> tuple[str, ...]:
    """The capabilities in this process's bounding set (what crun can give a container)."""
    text = status if status is not None else Path("/proc/self/status").read_text()
    for line in text.splitlines():
        if line.startswith("CapBnd:"):
            mask = int(line.split()[1], 16)
            return tuple(name for bit, name in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)
    return ()


def hard_limits() -> dict[str, int]:
    """This process's hard rlimits by Docker's ulimit names (-1 for unlimited)."""
    limits: dict[str, int] = {}
    for name, kind in _RLIMITS.items():
        hard = resource.getrlimit(kind)[1]
        limits[name] = -1 if hard == resource.RLIM_INFINITY else hard
    return limits


def init_binary() -> str | None:
    """The static init `--init` mounts as PID 1, None when none is installed."""
    for name in INIT_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def device_entry(path_on_host: str, path_in_container: str) -> dict[str, Any]:
    """The OCI linux.devices entry of a host device node.

    Raises:
        InvalidArgument: the path is missing or not a character or block device.
    """
    try:
        info = os.stat(path_on_host)
    except OSError as err:
        raise InvalidArgument(f'error gathering device information while adding custom device '
                              f'"{path_on_host}": {err.strerror}') from err  # fmt: skip
    if stat.S_ISCHR(info.st_mode):
        kind = "c"
    elif stat.S_ISBLK(info.st_mode):
        kind = "b"
    else:
        raise InvalidArgument(f'error gathering device information while adding custom device '
                              f'"{path_on_host}": not a device node')  # fmt: skip
    return {"path": path_in_container, "type": kind, "major": os.major(info.st_rdev),
            "minor": os.minor(info.st_rdev), "fileMode": stat.S_IMODE(info.st_mode),
            "uid": info.st_uid, "gid": info.st_gid}  # fmt: skip


def host_devices(root: Path = Path("/dev")) -> list[dict[str, Any]]:
    """Every device node under /dev, as --privileged gives them (Docker skips the same)."""
    devices: list[dict[str, Any]] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DEV_DIRS]
        for name in sorted(files):
            path = os.path.join(directory, name)
            if path in ("/dev/console", "/dev/ptmx") or os.path.islink(path):
                continue
            try:
                devices.append(device_entry(path, path))
            except InvalidArgument:
                continue
    return devices
