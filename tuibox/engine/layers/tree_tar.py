"""Tar streams of a directory tree written by directory fd, never by path.

What a running container changes meanwhile cannot turn the walk out of its tree: every
directory is opened with O_NOFOLLOW below the one before, every file is opened without
following and checked to be a regular file before it is read. Owners are numeric only;
sockets are left out, as tar cannot hold them; a file linked twice is a hard link entry.
`write_path` archives one path of a container (docker cp), crossing into its mounts as
dockerd, which mounts them first, does; `write_tree` archives a whole tree (docker export
of a container's root filesystem); `write_layer` archives an overlay upper dir as an OCI
layer (whiteouts and opaque directories as `.wh.` entries).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.scope import ContainerView, open_dir
from tuibox.engine.layers.unpack import OPAQUE_WHITEOUT, OPAQUE_XATTR, WHITEOUT_PREFIX

MAX_DEPTH = 1000
"""Directories deeper than this are refused: each level holds one open fd during the walk."""
CAPABILITY_XATTR = "security.capability"
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

Skip = Callable[[list[str], os.stat_result], bool]


class Sink(Protocol):
    """Where a tar goes: anything with a binary write."""

    def write(self, data: bytes, /) -> int: ...


@dataclass
class _Writer:
    tar: tarfile.TarFile
    view: ContainerView | None = None
    layer: bool = False
    skip: Skip | None = None
    links: dict[tuple[int, int], str] = field(default_factory=dict)

    def entry(self, parent_fd: int, name: str, arcname: str, virtual: list[str]) -> int | None:
        """Add one entry; a directory's fd is returned for the walk to descend into."""
        info = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        mount = self._mount_at(virtual)
        if mount is not None:
            return self._mounted(mount, arcname)
        if self.skip is not None and self.skip(virtual, info):
            return None
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
            self._directory(fd, info, arcname)
            return fd
        if stat.S_ISREG(mode):
            self._file_at(parent_fd, name, info, arcname)
        elif stat.S_ISLNK(mode):
            header = self._header(info, arcname, tarfile.SYMTYPE)
            header.linkname = os.readlink(name, dir_fd=parent_fd)
            self.tar.addfile(header)
        elif self.layer and stat.S_ISCHR(mode) and info.st_rdev == 0:
            head, _, base = arcname.rpartition("/")
            whiteout = f"{head}/{WHITEOUT_PREFIX}{base}" if head else WHITEOUT_PREFIX + base
            self.tar.addfile(self._header(info, whiteout, tarfile.REGTYPE, mode=0))
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            kind = {stat.S_IFCHR: tarfile.CHRTYPE, stat.S_IFBLK: tarfile.BLKTYPE,
                    stat.S_IFIFO: tarfile.FIFOTYPE}[stat.S_IFMT(mode)]  # fmt: skip
            header = self._header(info, arcname, kind)
            if not stat.S_ISFIFO(mode):
                header.devmajor, header.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
            self.tar.addfile(header)
        return None  # a socket: tar cannot hold it

    def _mount_at(self, virtual: list[str]) -> Path | None:
        if self.view is None:
            return None
        for mount in self.view.mounts:
            if mount.source is not None and mount.parts == virtual:
                return mount.source
        return None

    def _mounted(self, source: Path, arcname: str) -> int | None:
        """A mount's source in place of the mount point (the host path is the engine's)."""
        info = os.stat(source)
        if stat.S_ISDIR(info.st_mode):
            fd = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self._directory(fd, info, arcname)
            return fd
        if stat.S_ISREG(info.st_mode):
            self._file_at(None, str(source), info, arcname)
        return None

    def _directory(self, fd: int, info: os.stat_result, arcname: str) -> None:
        if arcname:
            self.tar.addfile(self._header(info, arcname.rstrip("/") + "/", tarfile.DIRTYPE, fd=fd))
        if self.layer and _xattr(fd, OPAQUE_XATTR) == b"y":
            opaque = f"{arcname.rstrip('/')}/{OPAQUE_WHITEOUT}" if arcname else OPAQUE_WHITEOUT
            self.tar.addfile(self._header(info, opaque, tarfile.REGTYPE, mode=0))

    def _file_at(self, parent_fd: int | None, name: str, info: os.stat_result,
                 arcname: str) -> None:  # fmt: skip
        key = (info.st_dev, info.st_ino)
        if info.st_nlink > 1 and key in self.links:
            header = self._header(info, arcname, tarfile.LNKTYPE)
            header.linkname = self.links[key]
            self.tar.addfile(header)
            return
        fd = os.open(name, _FILE_FLAGS, dir_fd=parent_fd)
        with os.fdopen(fd, "rb") as source:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != key:
                raise InvalidArgument(f"{arcname} changed while it was being archived")
            header = self._header(opened, arcname, tarfile.REGTYPE, fd=fd)
            header.size = opened.st_size
            self.tar.addfile(header, source)
        if info.st_nlink > 1:
            self.links[key] = arcname

    def _header(self, info: os.stat_result, arcname: str, kind: bytes, *,
                mode: int | None = None, fd: int | None = None) -> tarfile.TarInfo:  # fmt: skip
        header = tarfile.TarInfo(arcname)
        header.type = kind
        header.mode = stat.S_IMODE(info.st_mode) if mode is None else mode
        header.uid, header.gid = info.st_uid, info.st_gid
        header.uname = header.gname = ""
        header.mtime = int(info.st_mtime)
        header.size = 0
        if fd is not None:
            capability = _xattr(fd, CAPABILITY_XATTR)
            if capability is not None:
                value = capability.decode("utf-8", "surrogateescape")
                header.pax_headers = {f"SCHILY.xattr.{CAPABILITY_XATTR}": value}
        return header

    def walk(self, top_fd: int, arcname: str, virtual: list[str]) -> None:
        """Every entry below the open directory `top_fd` (closed at the end), sorted."""
        stack: list[tuple[int, str, list[str], Iterator[str]]] = []
        stack.append((top_fd, arcname.rstrip("/"), virtual, iter(sorted(os.listdir(top_fd)))))
        try:
            while stack:
                fd, prefix, where, names = stack[-1]
                name = next(names, None)
                if name is None:
                    os.close(fd)
                    stack.pop()
                    continue
                child = f"{prefix}/{name}" if prefix or arcname == "/" else name
                child_fd = self.entry(fd, name, child, [*where, name])
                if child_fd is None:
                    continue
                if len(stack) >= MAX_DEPTH:
                    os.close(child_fd)
                    raise InvalidArgument(f"{child} is more than {MAX_DEPTH} directories deep")
                stack.append((child_fd, child, [*where, name], iter(sorted(os.listdir(child_fd)))))
        finally:
            for fd, *_rest in stack:
                os.close(fd)


def write_path(out: Sink, view: ContainerView, parts: list[str], arcname: str) -> None:
    """A tar of the container path `parts` (resolved, its last component not followed), its
    entries named under `arcname` ("/" for the root, as dockerd names them)."""
    with tarfile.open(fileobj=cast(BinaryIO, out), mode="w|", format=tarfile.PAX_FORMAT) as tar:
        writer = _Writer(tar, view)
        if not parts:
            fd = os.open(view.rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            writer._directory(fd, os.fstat(fd), "/")
            writer.walk(fd, "/", [])
            return
        mount = view.mount_of(parts)
        root, below = (view.rootfs, parts) if mount is None or mount.source is None else (
            mount.source, parts[len(mount.parts):])  # fmt: skip
        if not below:
            child_fd = writer._mounted(root, arcname)
        else:
            parent_fd = open_dir(root, below[:-1])
            try:
                child_fd = writer.entry(parent_fd, below[-1], arcname, parts)
            finally:
                os.close(parent_fd)
        if child_fd is not None:
            writer.walk(child_fd, arcname, parts)


def write_tree(out: Sink, root: Path) -> None:
    """A tar of everything below `root`, named relative to it ("bin/", "bin/sh"), with no
    entry for `root` itself: what `docker export` writes of a container's filesystem."""
    with tarfile.open(fileobj=cast(BinaryIO, out), mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _Writer(tar).walk(os.open(root, _DIR_FLAGS), "", [])


def write_layer(out: Sink, upper: Path, skip: Skip | None = None) -> int:
    """An OCI layer tar of an overlay upper dir: char 0:0 nodes become `.wh.<name>`, an
    opaque directory gains `.wh..wh..opq`; `skip` leaves entries out (and what is below).
    Returns the number of entries."""
    with tarfile.open(fileobj=cast(BinaryIO, out), mode="w|", format=tarfile.PAX_FORMAT) as tar:
        writer = _Writer(tar, layer=True, skip=skip)
        fd = os.open(upper, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        writer.walk(fd, "", [])
        return len(tar.getmembers())


def _xattr(fd: int, name: str) -> bytes | None:
    with contextlib.suppress(OSError):
        return os.getxattr(fd, name)
    return None
