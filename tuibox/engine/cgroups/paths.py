"""Map a container's cgroupsPath to its cgroup directories under the host's cgroup layout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tuibox.engine.cgroups.layout import CgroupLayout
from tuibox.engine.domain.errors import HostNotReady

# The v1 controllers whose files the stats readers use, in reading order.
STATS_CONTROLLERS = ("cpu", "cpuacct", "memory", "blkio", "pids")


@dataclass(frozen=True)
class CgroupPaths:
    """Where one container's cgroup files are.

    v1: ``controllers`` maps each mounted stats controller to its directory (a controller
    that is not mounted is absent); v2: ``unified`` is the one directory.
    """

    version: Literal[1, 2]
    controllers: Mapping[str, Path] = field(default_factory=dict)
    unified: Path | None = None

    def __post_init__(self) -> None:
        if self.version == 2 and (self.unified is None or self.controllers):
            raise ValueError("cgroup v2 paths need the unified directory and no controllers")
        if self.version == 1 and self.unified is not None:
            raise ValueError("cgroup v1 paths have no unified directory")


def _relative(cgroup_path: str) -> str:
    return cgroup_path.strip("/")


def _v1_paths(layout: CgroupLayout, relative: str) -> CgroupPaths:
    found = {
        name: layout.v1_mounts[name] / relative
        for name in STATS_CONTROLLERS
        if name in layout.v1_mounts
    }
    return CgroupPaths(1, found)


def container_cgroup_paths(layout: CgroupLayout, cgroup_path: str) -> CgroupPaths:
    """Return the directories of the cgroup ``cgroup_path`` (e.g. "/tuibox/<id>") (pure).

    A hybrid layout counts as v1 when any stats controller is on a v1 hierarchy (the
    usual case: its cgroup2 mount holds no controllers), else as v2.

    Raises:
        HostNotReady: no cgroup hierarchy is mounted.
    """
    relative = _relative(cgroup_path)
    uses_v1 = any(name in layout.v1_mounts for name in STATS_CONTROLLERS)
    if layout.kind in ("v1", "hybrid") and uses_v1:
        return _v1_paths(layout, relative)
    if layout.kind in ("v2", "hybrid") and layout.unified_mount is not None:
        return CgroupPaths(2, unified=layout.unified_mount / relative)
    raise HostNotReady("no cgroup hierarchy with the cpu, memory or pids controller is mounted")
