"""Fill an empty volume with what the image holds at its mount point, as Docker does."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.rooted import RootedDir

log = logging.getLogger(__name__)


def copy_up(rootfs: Path, destination: str, target: Path) -> bool:
    """Copy `rootfs`/`destination` into `target` when `target` is empty; True if it copied.

    The path inside the root filesystem is walked without following any symlink (the
    image is not trusted), and symlinks below it are copied as links. Files keep their
    mode, times and owner; `target` takes the directory's own mode and owner.
    """
    if any(target.iterdir()):
        return False
    parts = [p for p in destination.split("/") if p not in ("", ".", "..")]
    try:
        with RootedDir(str(rootfs)) as root:
            fd = root.open_dir(parts, create=False, entry=destination)
    except InvalidArgument as err:
        log.info("nothing copied into the volume at %s: %s", destination, err)
        return False
    try:
        source = f"/proc/self/fd/{fd}"
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True,
                        copy_function=_copy_entry)
        _copy_owners(source, target)
        info = os.fstat(fd)
        os.chown(target, info.st_uid, info.st_gid)
        os.chmod(target, info.st_mode & 0o7777)
    finally:
        os.close(fd)
    return True


def _copy_entry(source: str, target: str) -> None:
    """A regular file with its metadata; a FIFO or device node made anew, never read."""
    info = os.lstat(source)
    if stat.S_ISREG(info.st_mode):
        shutil.copy2(source, target, follow_symlinks=False)
    elif stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        os.mknod(target, info.st_mode, info.st_rdev)
        os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)


def _copy_owners(source: str, target: Path) -> None:
    for directory, dirs, files in os.walk(source):
        relative = os.path.relpath(directory, source)
        for name in (*dirs, *files):
            info = os.lstat(os.path.join(directory, name))
            os.chown(target / relative / name, info.st_uid, info.st_gid, follow_symlinks=False)
