"""Detect the host's cgroup layout (v1, v2, hybrid) and free the cgroup2 mount for crun."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tuibox.engine.domain.errors import HostNotReady

CGROUP_ROOT = Path("/sys/fs/cgroup")
LayoutKind = Literal["v1", "v2", "hybrid", "none"]
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
_NON_CONTROLLER_OPTIONS = frozenset(
    {"rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "xattr", "noprefix",
     "clone_children", "cpuset_v2_mode", "nsdelegate", "memory_recursiveprot", "favordynmods"}
)  # fmt: skip


@dataclass(frozen=True)
class CgroupLayout:
    """Where the cgroup hierarchies are mounted and which controllers the cgroup2 one holds."""

    kind: LayoutKind
    v1_mounts: dict[str, Path] = field(default_factory=dict)  # controller -> mount point
    unified_mount: Path | None = None
    unified_controllers: tuple[str, ...] = ()


class CgroupFixRefused(HostNotReady):
    """The hybrid layout could not be fixed automatically; carries the reason and the remedy."""

    def __init__(self, reason: str, remedy: str) -> None:
        super().__init__(f"{reason}. {remedy}")
        self.reason = reason
        self.remedy = remedy


@dataclass(frozen=True)
class _Mount:
    point: Path
    fstype: str
    super_options: tuple[str, ...]


def parse_mountinfo(text: str) -> list[_Mount]:
    """Return the cgroup and cgroup2 mounts in /proc/self/mountinfo or /proc/mounts text (pure)."""
    mounts = []
    for line in text.splitlines():
        head, sep, tail = line.partition(" - ")
        if sep:  # mountinfo: "... <mount point> <options> [tags] - <fstype> <source> <super>"
            fields, rest = head.split(), tail.split()
            if len(fields) < 5 or len(rest) < 3:
                continue
            point, fstype, options = fields[4], rest[0], rest[2]
        else:  # /proc/mounts: "<source> <mount point> <fstype> <options> 0 0"
            fields = line.split()
            if len(fields) < 4:
                continue
            point, fstype, options = fields[1], fields[2], fields[3]
        if fstype in ("cgroup", "cgroup2"):
            unescaped = _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), point)
            mounts.append(_Mount(Path(unescaped), fstype, tuple(options.split(","))))
    return mounts


def _controllers_of(options: tuple[str, ...]) -> list[str]:
    return [
        option
        for option in options
        if option not in _NON_CONTROLLER_OPTIONS and not option.startswith("release_agent=")
    ]


def parse_layout(mountinfo: str, read_controllers: Callable[[Path], str]) -> CgroupLayout:
    """Classify the cgroup layout from mountinfo text (pure apart from ``read_controllers``).

    Args:
        mountinfo: the content of /proc/self/mountinfo (or /proc/mounts-like fixture text).
        read_controllers: returns the ``cgroup.controllers`` text of a cgroup2 mount point.
    """
    mounts = parse_mountinfo(mountinfo)
    v1: dict[str, Path] = {}
    unified: Path | None = None
    for mount in mounts:
        if mount.fstype == "cgroup2":
            unified = unified or mount.point
            continue
        for controller in _controllers_of(mount.super_options):
            v1.setdefault(controller, mount.point)
    if unified is None:
        return CgroupLayout("v1" if v1 else "none", v1)
    controllers = tuple(read_controllers(unified).split())
    if not v1:
        return CgroupLayout("v2", {}, unified, controllers)
    return CgroupLayout("hybrid", v1, unified, controllers)


def detect_layout() -> CgroupLayout:
    """Read this host's cgroup layout from /proc/self/mountinfo."""
    mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    return parse_layout(mountinfo, lambda point: (point / "cgroup.controllers").read_text())


def hybrid_commands(controllers: list[str] | tuple[str, ...]) -> str:
    """Return the shell commands that move ``controllers`` to their own v1 hierarchies."""
    return "; ".join(
        f"mkdir -p {CGROUP_ROOT / name} && mount -t cgroup -o {name} cgroup {CGROUP_ROOT / name}"
        for name in controllers
    )


def hybrid_remedy(layout: CgroupLayout, controllers: list[str] | tuple[str, ...]) -> str:
    """Return a sentence explaining crun's refusal and the exact commands that fix it."""
    return (
        f"crun refuses cgroup v1 hybrid mode while controllers ({', '.join(controllers)}) "
        f"sit on the cgroup2 mount {layout.unified_mount}; as root run: "
        f"{hybrid_commands(controllers)} "
        "(or boot with systemd.unified_cgroup_hierarchy=1 for pure cgroup v2)"
    )


def fix_hybrid_controllers(layout: CgroupLayout) -> list[str]:
    """Move controllers off the cgroup2 mount of a hybrid host to their own v1 hierarchies.

    Only controllers that no cgroup2 child uses (absent from the root's
    ``cgroup.subtree_control``) are moved, exactly as
    ``mkdir /sys/fs/cgroup/X && mount -t cgroup -o X cgroup /sys/fs/cgroup/X`` would.

    Returns:
        The controllers moved; empty when there was nothing to do.

    Raises:
        CgroupFixRefused: a controller is in use or the mount failed; it holds the remedy.
    """
    if layout.kind != "hybrid" or not layout.unified_controllers or layout.unified_mount is None:
        return []
    subtree = (layout.unified_mount / "cgroup.subtree_control").read_text().split()
    busy = [name for name in layout.unified_controllers if name in subtree]
    if busy:
        raise CgroupFixRefused(
            f"cgroup controllers {', '.join(busy)} are enabled for children of "
            f"{layout.unified_mount}, so they cannot be moved automatically",
            hybrid_remedy(layout, layout.unified_controllers),
        )
    moved = []
    for name in layout.unified_controllers:
        try:
            _mount_v1_controller(name)
        except OSError as err:
            raise CgroupFixRefused(
                f"cannot move cgroup controller {name} off {layout.unified_mount}: {err}",
                hybrid_remedy(layout, layout.unified_controllers),
            ) from err
        moved.append(name)
    return moved


def _mount_v1_controller(name: str) -> None:
    target = CGROUP_ROOT / name
    target.mkdir(exist_ok=True)
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    rc = libc.mount(b"cgroup", os.fsencode(target), b"cgroup", ctypes.c_ulong(0), name.encode())
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(target))
