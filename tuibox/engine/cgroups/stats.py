"""The cgroup stats of one container, as the v1 and v2 readers produce them (plain values)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CpuStats:
    """CPU time in nanoseconds and CFS throttling counters (percpu is empty on cgroup v2)."""

    total_ns: int
    user_ns: int
    system_ns: int
    percpu_ns: tuple[int, ...]
    periods: int
    throttled_periods: int
    throttled_ns: int


@dataclass(frozen=True)
class MemoryStats:
    """Memory usage in bytes; ``stats`` holds memory.stat's keys exactly as the kernel names them.

    ``limit`` is None when unlimited; ``max_usage`` is None when the kernel keeps no peak.
    """

    usage: int
    limit: int | None
    max_usage: int | None
    failcnt: int
    stats: dict[str, int]


@dataclass(frozen=True)
class BlkioEntry:
    """One device's byte count for one operation (v1: Read, Write, ...; v2: read, write)."""

    major: int
    minor: int
    op: str
    value: int


@dataclass(frozen=True)
class CgroupStats:
    """One sample of a container's cgroup: CPU, memory, block I/O bytes and pids."""

    cpu: CpuStats
    memory: MemoryStats
    blkio_service_bytes: tuple[BlkioEntry, ...]
    pids_current: int
    pids_limit: int | None
