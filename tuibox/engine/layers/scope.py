"""Paths inside a container resolved as dockerd's FollowSymlinkInScope does: never out of it.

A container is seen from outside as a `ContainerView`: its root filesystem plus the mounts
the engine can reach on the host (binds, volumes, the /etc files it writes), each at its
destination. A path is resolved one component at a time against whichever of them holds
it; a symlink is read and its target resolved in the same view, so `/etc -> /` or
`../../..` stay inside, and a link into a volume leads into the volume. Nothing is opened
through a symlink afterwards either: `open_dir` walks with O_NOFOLLOW, so a link swapped in
after the resolution fails instead of being followed.
"""

from __future__ import annotations

import errno
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument

MAX_LINKS = 255
"""Symlinks followed in one resolution before giving up (as moby's evalSymlinksInScope)."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class ViewMount:
    """One of the container's mounts as the engine reaches it; `source` None when it cannot
    (a tmpfs lives only inside the running container)."""

    destination: str
    source: Path | None
    read_only: bool
    kind: str

    @property
    def parts(self) -> list[str]:
        return split(self.destination)


@dataclass(frozen=True)
class ContainerView:
    """A container's root filesystem (mounted) and its reachable mounts."""

    rootfs: Path
    mounts: tuple[ViewMount, ...] = ()

    def mount_of(self, parts: list[str]) -> ViewMount | None:
        """The innermost mount holding the container path `parts`, None for the rootfs."""
        found: ViewMount | None = None
        for mount in self.mounts:
            where = mount.parts
            if parts[: len(where)] == where and (found is None or len(where) > len(found.parts)):
                found = mount
        return found

    def backing(self, parts: list[str]) -> tuple[Path, list[str], ViewMount | None]:
        """Which host directory (or file) holds `parts`, and the components below it.

        Raises:
            InvalidArgument: the path is in a mount the engine cannot reach.
        """
        mount = self.mount_of(parts)
        if mount is None:
            return self.rootfs, parts, None
        if mount.source is None:
            raise InvalidArgument(
                f"{join(parts)} is inside the {mount.kind} mount at {mount.destination}, which "
                "only the running container can reach; use docker exec with tar instead"
            )
        return mount.source, parts[len(mount.parts) :], mount


def split(path: str) -> list[str]:
    """Components of a container path, lexically cleaned ("." dropped, ".." applied)."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def join(parts: list[str]) -> str:
    return "/" + "/".join(parts)


def clean_path(path: str) -> str:
    """Docker's absPath: the path made absolute and clean, a trailing "/." or "/" kept."""
    cleaned = join(split(path))
    if path == "." or path.endswith("/."):
        return cleaned.rstrip("/") + "/."
    if path.endswith("/") and cleaned != "/":
        return cleaned + "/"
    return cleaned


def lstat(view: ContainerView, parts: list[str]) -> os.stat_result | None:
    """lstat of a container path whose parents are resolved already; None when missing."""
    root, below, _mount = view.backing(parts)
    if not below:
        try:
            return os.stat(root)  # a mount's own source: the kernel bound what it names
        except FileNotFoundError:
            return None
    try:
        fd = open_dir(root, below[:-1])
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return os.stat(below[-1], dir_fd=fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    finally:
        os.close(fd)


def readlink(view: ContainerView, parts: list[str]) -> str:
    root, below, _mount = view.backing(parts)
    fd = open_dir(root, below[:-1])
    try:
        return os.readlink(below[-1], dir_fd=fd)
    finally:
        os.close(fd)


def resolve(view: ContainerView, path: str) -> list[str]:
    """Every symlink of `path` followed inside the view (FollowSymlinkInScope); missing
    components are taken as written.

    Raises:
        InvalidArgument: more than MAX_LINKS symlinks, or a path in an unreachable mount.
    """
    pending = list(reversed(path.split("/")))
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = [*resolved, part]
        info = lstat(view, candidate)
        if info is None or not _is_link(info):
            resolved = candidate
            continue
        links += 1
        if links > MAX_LINKS:
            raise InvalidArgument(f"too many links in {path}")
        target = readlink(view, candidate)
        if target.startswith("/"):
            resolved = []
        pending.extend(reversed(target.split("/")))
    return resolved


def resolve_parent(view: ContainerView, abs_path: str) -> list[str]:
    """dockerd's ResolvePath: the directory part resolved, the last component kept as it is
    (not followed), unless the path ends in "/" or "/." which asks for the directory."""
    head, base = posixpath.split(abs_path)
    if base in ("", "."):
        return resolve(view, head)
    return [*resolve(view, head), base]


def open_dir(root: Path, parts: list[str]) -> int:
    """An fd of the directory `parts` below the host directory `root`, no symlink followed.

    Raises:
        FileNotFoundError, NotADirectoryError: a component is missing or not a directory.
        InvalidArgument: a component became a symlink since it was resolved.
    """
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            try:
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as err:
                if err.errno == errno.ELOOP:
                    raise InvalidArgument(
                        f"{part} changed into a symlink while it was being resolved"
                    ) from None
                raise
            os.close(fd)
            fd = next_fd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_link(info: os.stat_result) -> bool:
    return (info.st_mode & 0o170000) == 0o120000
