"""Read one unpacked layer directory into a tree of nodes, by directory fd, never following links.

The layer is as tuibox's unpacker leaves it: an OCI whiteout `.wh.NAME` became an overlayfs
whiteout (a character device 0:0 named NAME) and `.wh..wh..opq` became the opaque mark on
its directory (the `trusted.overlay.opaque` xattr, or `user.overlay.opaque` for a layer made
for an unprivileged overlay mount). Every directory is opened relative to its parent's fd
with O_NOFOLLOW, so the walk cannot leave the layer whatever its symlinks say.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["file", "dir", "symlink", "char", "block", "fifo", "socket", "whiteout"]
OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(slots=True)
class Node:
    """One entry of a layer (or of the stacked image). `stored` is the bytes it adds to the
    layer: its size, or 0 for a second name of a hard-linked file already counted."""

    kind: Kind
    size: int = 0
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    stored: int = 0
    opaque: bool = False
    children: dict[str, Node] | None = None

    def subtree_bytes(self) -> int:
        """Bytes of the regular files at and below this node."""
        total = self.stored
        pending = [self]
        while pending:
            node = pending.pop()
            for child in (node.children or {}).values():
                total += child.stored
                pending.append(child)
        return total


@dataclass
class _Frame:
    fd: int
    node: Node
    subdirs: list[str] = field(default_factory=list)


def read_layer(diff_dir: Path) -> Node:
    """The layer's tree; its root is a directory node.

    Raises:
        FileNotFoundError: the layer directory is gone (removed while it was read).
        OSError: the kernel refused to read it.
    """
    root = Node("dir", children={})
    seen_inodes: set[int] = set()
    stack = [_read_dir(os.open(diff_dir, _DIR_FLAGS), root, seen_inodes)]
    try:
        while stack:
            frame = stack[-1]
            if not frame.subdirs:
                os.close(stack.pop().fd)
                continue
            name = frame.subdirs.pop()
            assert frame.node.children is not None  # a frame's node is a read directory
            child = frame.node.children[name]
            child_fd = os.open(name, _DIR_FLAGS, dir_fd=frame.fd)
            stack.append(_read_dir(child_fd, child, seen_inodes))
    finally:
        for frame in stack:
            os.close(frame.fd)
    return root


def _read_dir(fd: int, node: Node, seen_inodes: set[int]) -> _Frame:
    """Fill `node.children` from the open directory `fd`; the subdirectories are to visit."""
    frame = _Frame(fd, node)
    try:
        node.opaque = any(_xattr(fd, name) == b"y" for name in OPAQUE_XATTRS)
        children: dict[str, Node] = {}
        with os.scandir(fd) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                child = _node(info, seen_inodes)
                children[entry.name] = child
                if child.kind == "dir":
                    frame.subdirs.append(entry.name)
    except BaseException:
        os.close(fd)
        raise
    node.children = children
    return frame


def _node(info: os.stat_result, seen_inodes: set[int]) -> Node:
    kind = _kind(info)
    stored = 0
    if kind == "file":
        stored = info.st_size
        if info.st_nlink > 1:
            stored = 0 if info.st_ino in seen_inodes else info.st_size
            seen_inodes.add(info.st_ino)
    return Node(
        kind=kind,
        size=0 if kind in ("dir", "whiteout") else info.st_size,
        mode=stat.S_IMODE(info.st_mode),
        uid=info.st_uid,
        gid=info.st_gid,
        stored=stored,
        children={} if kind == "dir" else None,
    )


def _kind(info: os.stat_result) -> Kind:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode):
        return "whiteout" if info.st_rdev == 0 else "char"
    if stat.S_ISBLK(mode):
        return "block"
    if stat.S_ISFIFO(mode):
        return "fifo"
    return "socket"


def _xattr(fd: int, name: str) -> bytes | None:
    try:
        return os.getxattr(fd, name)
    except OSError:  # ENODATA for an unmarked directory; ENOTSUP on a filesystem without xattrs
        return None
