"""What the engine learnt about its host at start: tool paths and versions, limits, cgroups."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LimitSupport:
    """Which resource limits this host's kernel and cgroups can enforce, and their range."""

    cpus: int
    """Online CPUs: `--cpus` may ask for at most this many."""
    cpuset_cpus: frozenset[int]
    """CPUs a container's cpuset may name (the root cpuset's cpuset.cpus)."""
    cpuset_mems: frozenset[int]
    """Memory nodes a container's cpuset may name."""
    swap: bool = True
    """Whether swap is accounted (memory.memsw.* on v1, memory.swap.max on v2)."""
    swappiness: bool = True
    """Whether memory.swappiness exists (cgroup v1 only)."""
    blkio_weight: bool = False
    """Whether a blkio weight can be set (blkio.weight or blkio.bfq.weight)."""


@dataclass(frozen=True)
class HostFacts:
    """What the host check found; the runtime and /info are built from it."""

    crun_path: str
    conmon_path: str
    nofile_limit: int
    cgroup_layout: str
    crun_version: str = ""
    conmon_version: str = ""
    limits: LimitSupport | None = None
    """What resource limits the host can enforce (None: detect them when composing)."""
