"""What the engine learnt about its host at start: tool paths and versions, limits, cgroups."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostFacts:
    """What the host check found; the runtime and /info are built from it."""

    crun_path: str
    conmon_path: str
    nofile_limit: int
    cgroup_layout: str
    crun_version: str = ""
    conmon_version: str = ""
