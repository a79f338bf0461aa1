"""Mount and unmount overlayfs container roots through the mount(2) and umount2(2) syscalls.

Limits: the mount data (``lowerdir=...``) must fit in one page, which caps the number of lower
dirs at roughly ``4096 / len(path)``. An image deeper than that gets a clear RuntimeFailure for
now; the way out is the short-symlink trick of Docker's overlay2 or the new mount API's
``lowerdir+`` (fsconfig), neither done yet.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import resource
from pathlib import Path

from tuibox.engine.domain.errors import RuntimeFailure

MNT_DETACH = 2
# Docker mounts with index=off so one lower dir can back many containers; redirect_dir and
# metacopy stay off so a layer cannot forge overlay metadata that points elsewhere.
OVERLAY_FIXED_OPTIONS = "index=off,redirect_dir=off,metacopy=off"
_FORBIDDEN_CHARS = (",", ":", "\\", "\n")
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]  # fmt: skip
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def overlay_mount_data(lower_dirs: list[Path], upper: Path, work: Path) -> str:
    """Return the overlay mount options for the given dirs (pure).

    Args:
        lower_dirs: read-only layers, topmost first.
        upper: the container's writable dir.
        work: overlay's work dir, on the same filesystem as ``upper``.

    Raises:
        RuntimeFailure: no lower dir, a path overlayfs cannot express, or data over one page.
    """
    if not lower_dirs:
        raise RuntimeFailure("an overlay mount needs at least one lower dir")
    for path in (*lower_dirs, upper, work):
        if any(char in str(path) for char in _FORBIDDEN_CHARS):
            raise RuntimeFailure(f"overlay cannot use the path {str(path)!r}: it holds , : or \\")
    lowers = ":".join(str(path) for path in lower_dirs)
    data = f"lowerdir={lowers},upperdir={upper},workdir={work},{OVERLAY_FIXED_OPTIONS}"
    if len(data.encode()) >= resource.getpagesize():
        raise RuntimeFailure(
            f"overlay mount data for {len(lower_dirs)} layers exceeds one page "
            f"({resource.getpagesize()} bytes); images this deep are not supported yet"
        )
    return data


def mount_overlay(lower_dirs: list[Path], upper: Path, work: Path, target: Path) -> None:
    """Mount an overlay of ``lower_dirs`` (topmost first) with ``upper`` at ``target``.

    Blocking but fast; call it through ``asyncio.to_thread`` from the engine loop.

    Raises:
        RuntimeFailure: the kernel refused the mount; the text carries errno's words.
    """
    data = overlay_mount_data(lower_dirs, upper, work)
    rc = _libc.mount(b"overlay", os.fsencode(target), b"overlay", 0, data.encode())
    if rc != 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"cannot mount overlay at {target}: {os.strerror(err)}")


def unmount(target: Path) -> None:
    """Unmount ``target``; a target that is not mounted (or missing) is success.

    A busy mount is detached lazily (MNT_DETACH) so it goes away once unused.

    Raises:
        RuntimeFailure: the kernel refused even the lazy detach.
    """
    path = os.fsencode(target)
    if _libc.umount2(path, 0) == 0:
        return
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOENT):
        return
    if err == errno.EBUSY and _libc.umount2(path, MNT_DETACH) == 0:
        return
    err = ctypes.get_errno()
    raise RuntimeFailure(f"cannot unmount {target}: {os.strerror(err)}")


def is_mounted(target: Path) -> bool:
    """Return whether ``target`` is a mount point, according to /proc/self/mountinfo."""
    wanted = os.path.realpath(target)
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as info:
        for line in info:
            fields = line.split(" ", 5)
            if len(fields) > 4 and _unescape_mount_path(fields[4]) == wanted:
                return True
    return False


def _unescape_mount_path(field: str) -> str:
    """Undo the octal escapes (``\\040`` for a space) the kernel writes in mountinfo."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)
