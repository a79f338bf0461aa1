"""Directory-fd operations confined to one root: no path ever resolves through a symlink."""

from __future__ import annotations

import errno
import os
import shutil
import stat

from tuibox.engine.domain.errors import InvalidArgument

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class RootedDir:
    """An open root directory; every lookup walks components with O_NOFOLLOW.

    Lifecycle: open with a path, use `open_dir` to get a directory fd below it (the caller
    closes it), `close` at the end (or use as a context manager).
    """

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, _DIR_FLAGS)

    @classmethod
    def adopt(cls, fd: int) -> RootedDir:
        """A root over a directory fd opened elsewhere (duplicated: the caller keeps its own)."""
        rooted = cls.__new__(cls)
        rooted.fd = os.dup(fd)
        return rooted

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> RootedDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open_dir(self, parts: list[str], *, create: bool, entry: str) -> int:
        """Open the directory `parts` below the root, creating missing ones as 0755.

        Args:
            parts: path components, already free of "", "." and "..".
            create: make missing directories instead of failing.
            entry: the tar entry name, for error texts.

        Raises:
            InvalidArgument: a component is a symlink or not a directory, or is missing.
        """
        fd = os.dup(self.fd)
        try:
            for index, component in enumerate(parts):
                next_fd = self._open_component(fd, component, create)
                if next_fd < 0:
                    where = "/".join(parts[: index + 1])
                    raise InvalidArgument(_not_a_dir_message(fd, component, where, entry))
                os.close(fd)
                fd = next_fd
        except BaseException:
            os.close(fd)
            raise
        return fd

    @staticmethod
    def _open_component(parent_fd: int, component: str, create: bool) -> int:
        try:
            return os.open(component, _DIR_FLAGS, dir_fd=parent_fd)
        except FileNotFoundError:
            if not create:
                return -1
            os.mkdir(component, 0o755, dir_fd=parent_fd)
            return os.open(component, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError as err:
            if err.errno in (errno.ELOOP, errno.ENOTDIR):
                return -1
            raise


def _not_a_dir_message(parent_fd: int, component: str, where: str, entry: str) -> str:
    try:
        mode = os.stat(component, dir_fd=parent_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return f"layer entry {entry!r}: {where} does not exist in the layer"
    if stat.S_ISLNK(mode):
        return f"layer entry {entry!r} refused: it traverses the symlink {where}"
    return f"layer entry {entry!r} refused: {where} is not a directory"


def lstat_at(parent_fd: int, name: str) -> os.stat_result | None:
    """lstat of `name` in a directory fd, None when missing."""
    try:
        return os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def clear_for(parent_fd: int, name: str, *, keep_dir: bool) -> None:
    """Remove whatever sits at `name` so a new entry can take its place.

    A directory stays when `keep_dir` (a directory entry over a directory merges).
    """
    existing = lstat_at(parent_fd, name)
    if existing is None:
        return
    if stat.S_ISDIR(existing.st_mode):
        if keep_dir:
            return
        shutil.rmtree(name, dir_fd=parent_fd)
        return
    os.unlink(name, dir_fd=parent_fd)


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may be short)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
