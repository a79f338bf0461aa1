"""Read one container's cgroup v1 or v2 stats files into a CgroupStats (blocking, cheap)."""

from __future__ import annotations

import errno
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from tuibox.engine.cgroups.paths import CgroupPaths
from tuibox.engine.cgroups.stats import BlkioEntry, CgroupStats, CpuStats, MemoryStats
from tuibox.engine.domain.errors import RuntimeFailure

NS_PER_USEC = 1_000
NS_PER_SEC = 1_000_000_000
USER_HZ = os.sysconf("SC_CLK_TCK")  # the unit of cpuacct.stat's user/system ticks
V1_UNLIMITED = 9223372036854771712  # memory.limit_in_bytes of an unlimited v1 cgroup (4k pages)
UNLIMITED = "max"  # v2 memory.max and pids.max (v1 pids.max too) when unlimited

# cgroup v1 files
CPUACCT_USAGE = "cpuacct.usage"
CPUACCT_USAGE_PERCPU = "cpuacct.usage_percpu"
CPUACCT_STAT = "cpuacct.stat"
MEMORY_USAGE_V1 = "memory.usage_in_bytes"
MEMORY_LIMIT_V1 = "memory.limit_in_bytes"
MEMORY_MAX_USAGE_V1 = "memory.max_usage_in_bytes"
MEMORY_FAILCNT_V1 = "memory.failcnt"
# Tried in order until one has entries: CFQ (kernels < 5.0), BFQ, then blk-throttle's
# counters, which Debian kernels without CFQ/BFQ stats leave as the only source.
BLKIO_SERVICE_BYTES_FILES = (
    "blkio.io_service_bytes_recursive",
    "blkio.bfq.io_service_bytes_recursive",
    "blkio.throttle.io_service_bytes_recursive",
    "blkio.throttle.io_service_bytes",  # kernels before the recursive throttle files
)
# cgroup v2 files
MEMORY_CURRENT = "memory.current"
MEMORY_MAX = "memory.max"
MEMORY_PEAK = "memory.peak"
MEMORY_EVENTS = "memory.events"
IO_STAT = "io.stat"
# both versions
CPU_STAT = "cpu.stat"
MEMORY_STAT = "memory.stat"
PIDS_CURRENT = "pids.current"
PIDS_MAX = "pids.max"


class CgroupGone(RuntimeFailure):
    """The container's cgroup directory no longer exists: it exited while being sampled."""

    def __init__(self, directory: Path) -> None:
        super().__init__(f"cgroup {directory} no longer exists (the container has exited)")
        self.directory = directory


def read_cgroup_stats(paths: CgroupPaths, host_memory: int) -> CgroupStats:
    """Read one sample of a container's cgroup stats; blocking, each file read once.

    Missing optional files give 0 or None; malformed numbers give 0 (None for a limit).

    Args:
        paths: the container's cgroup directories (see container_cgroup_paths).
        host_memory: the host's RAM in bytes; a memory limit above it counts as unlimited.

    Raises:
        CgroupGone: a cgroup directory of the container has disappeared.
    """
    if paths.version == 1:
        return _read_v1(paths.controllers, host_memory)
    if paths.unified is None:
        raise ValueError("cgroup v2 paths without a directory")
    return _read_v2(paths.unified, host_memory)


# ---- file access -------------------------------------------------------------------


_ABSENT: set[tuple[str, str]] = set()
"""(cgroup parent, file name) pairs found missing: the kernel that lacks a file (no CFQ,
no memory.peak) lacks it for every container of that parent, so it is not tried again."""
_READ_CHUNK = 65536
_open = os.open  # the one way files are opened here (tests make it fail)
OPEN_FILES_LIMIT = 4096
"""Descriptors kept open across reads, at most (a quarter of the engine's file limit)."""


class OpenFiles:
    """cgroup files kept open between the sampler's reads, read again with pread.

    Opening and closing is most of what reading a small cgroup file costs (about 5 us
    against under 1 us for a pread of an open one), and the sampler reads a dozen per
    container every second. The oldest are closed beyond `limit`; `forget` closes a
    container's when it stops.
    """

    def __init__(self, limit: int = OPEN_FILES_LIMIT) -> None:
        self.limit = limit
        self._fds: OrderedDict[str, int] = OrderedDict()

    def read(self, path: str) -> bytes:
        """The file's whole content now. Raises OSError as open or read would."""
        fd = self._fds.get(path)
        if fd is None:
            fd = _open(path, os.O_RDONLY | os.O_CLOEXEC)
            self._fds[path] = fd
            while len(self._fds) > self.limit:
                os.close(self._fds.popitem(last=False)[1])
        else:
            self._fds.move_to_end(path)
        try:
            chunks = [os.pread(fd, _READ_CHUNK, 0)]
            while len(chunks[-1]) == _READ_CHUNK:  # a file longer than one chunk
                chunks.append(os.pread(fd, _READ_CHUNK, _READ_CHUNK * len(chunks)))
        except OSError:
            self._close(path)
            raise
        return b"".join(chunks)

    def forget(self, directory: str) -> None:
        """Close the files of one cgroup directory (the container stopped)."""
        prefix = directory.rstrip("/") + "/"
        for path in [p for p in self._fds if p.startswith(prefix)]:
            self._close(path)

    def _close(self, path: str) -> None:
        fd = self._fds.pop(path, None)
        if fd is not None:
            os.close(fd)


FILES = OpenFiles()
"""The engine's one cache of open cgroup files."""


def _read(directory: Path | None, name: str) -> str | None:
    """Return the file's text, or None when it (or its controller) does not exist."""
    if directory is None:
        return None
    key = (str(directory.parent), name)
    if key in _ABSENT:
        return None
    try:
        data = FILES.read(f"{directory}/{name}")
    except FileNotFoundError:
        if not directory.is_dir():
            raise CgroupGone(directory) from None
        _ABSENT.add(key)
        return None
    except OSError as err:
        if err.errno == errno.ENODEV:  # read from a cgroup being removed
            raise CgroupGone(directory) from None
        return None
    return data.decode("ascii", errors="replace")


def read_oom_kills(paths: CgroupPaths) -> int:
    """How many processes the OOM killer has killed in the cgroup; 0 when it is gone.

    v1: `oom_kill` in memory.oom_control (Linux 4.13 and later); v2: `oom_kill` in
    memory.events. Read directly, not through the kept-open files: once, at an exit.
    """
    if paths.unified is not None:
        path = paths.unified / "memory.events"
    elif "memory" in paths.controllers:
        path = paths.controllers["memory"] / "memory.oom_control"
    else:
        return 0
    try:
        text = path.read_text()
    except OSError:
        return 0
    return _keyed(text).get("oom_kill", 0)


def forget_cgroup(paths: CgroupPaths) -> None:
    """Close the kept-open files of a container's cgroup (it is no longer sampled)."""
    for directory in (*paths.controllers.values(), *([paths.unified] if paths.unified else [])):
        FILES.forget(str(directory))


# ---- parsing (pure) ------------------------------------------------------------------


def _int(text: str | None) -> int:
    """Parse a non-negative decimal counter; missing or malformed gives 0."""
    if text is None:
        return 0
    try:
        value = int(text.strip())
    except ValueError:
        return 0
    return max(value, 0)


def _optional_int(text: str | None) -> int | None:
    """Parse a counter that may be absent: missing or malformed gives None."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def _limit(text: str | None, host_memory: int) -> int | None:
    """Parse a memory limit; None when unlimited ("max", v1's huge value, above host RAM)."""
    value = _optional_int(text)
    if value is None or value < 0 or value >= V1_UNLIMITED:
        return None
    if host_memory > 0 and value > host_memory:
        return None
    return value


def _pids_limit(text: str | None) -> int | None:
    if text is None or text.strip() == UNLIMITED:
        return None
    return _optional_int(text)


def _keyed(text: str | None) -> dict[str, int]:
    """Parse "key value" lines (memory.stat, cpu.stat, memory.events); bad values give 0."""
    result: dict[str, int] = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if parts:
            result[parts[0]] = _int(parts[1]) if len(parts) == 2 else 0
    return result


def _percpu(text: str | None) -> tuple[int, ...]:
    return tuple(_int(field) for field in (text or "").split())


def _device(text: str) -> tuple[int, int] | None:
    major, sep, minor = text.partition(":")
    if not sep or not major.isdigit() or not minor.isdigit():
        return None
    return int(major), int(minor)


def _blkio_v1(text: str | None) -> tuple[BlkioEntry, ...]:
    """Parse "MAJ:MIN Op N" lines; the trailing "Total N" and malformed lines are skipped."""
    entries = []
    for line in (text or "").splitlines():
        parts = line.split()
        device = _device(parts[0]) if len(parts) == 3 else None
        if device is not None:
            entries.append(BlkioEntry(device[0], device[1], parts[1], _int(parts[2])))
    return tuple(entries)


def _io_stat_line(line: str) -> tuple[BlkioEntry, ...]:
    parts = line.split()
    device = _device(parts[0]) if parts else None
    if device is None:
        return ()
    fields = {key: value for key, _, value in (part.partition("=") for part in parts[1:])}
    return (
        BlkioEntry(device[0], device[1], "read", _int(fields.get("rbytes"))),
        BlkioEntry(device[0], device[1], "write", _int(fields.get("wbytes"))),
    )


def _io_stat(text: str | None) -> tuple[BlkioEntry, ...]:
    """Turn v2 io.stat into one "read" and one "write" entry per device, as moby does."""
    return tuple(entry for line in (text or "").splitlines() for entry in _io_stat_line(line))


def _ticks_to_ns(ticks: int) -> int:
    return ticks * NS_PER_SEC // USER_HZ


# ---- cgroup v1 -----------------------------------------------------------------------


def _v1_cpu(cpuacct: Path | None, cpu: Path | None) -> CpuStats:
    ticks = _keyed(_read(cpuacct, CPUACCT_STAT))
    throttling = _keyed(_read(cpu, CPU_STAT))
    return CpuStats(
        total_ns=_int(_read(cpuacct, CPUACCT_USAGE)),
        user_ns=_ticks_to_ns(ticks.get("user", 0)),
        system_ns=_ticks_to_ns(ticks.get("system", 0)),
        percpu_ns=_percpu(_read(cpuacct, CPUACCT_USAGE_PERCPU)),
        periods=throttling.get("nr_periods", 0),
        throttled_periods=throttling.get("nr_throttled", 0),
        throttled_ns=throttling.get("throttled_time", 0),
    )


def _v1_memory(memory: Path | None, host_memory: int) -> MemoryStats:
    return MemoryStats(
        usage=_int(_read(memory, MEMORY_USAGE_V1)),
        limit=_limit(_read(memory, MEMORY_LIMIT_V1), host_memory),
        max_usage=_optional_int(_read(memory, MEMORY_MAX_USAGE_V1)),
        failcnt=_int(_read(memory, MEMORY_FAILCNT_V1)),
        stats=_keyed(_read(memory, MEMORY_STAT)),
    )


def _v1_blkio(blkio: Path | None) -> tuple[BlkioEntry, ...]:
    for name in BLKIO_SERVICE_BYTES_FILES:
        entries = _blkio_v1(_read(blkio, name))
        if entries:
            return entries
    return ()


def _read_v1(controllers: Mapping[str, Path], host_memory: int) -> CgroupStats:
    pids = controllers.get("pids")
    return CgroupStats(
        cpu=_v1_cpu(controllers.get("cpuacct"), controllers.get("cpu")),
        memory=_v1_memory(controllers.get("memory"), host_memory),
        blkio_service_bytes=_v1_blkio(controllers.get("blkio")),
        pids_current=_int(_read(pids, PIDS_CURRENT)),
        pids_limit=_pids_limit(_read(pids, PIDS_MAX)),
    )


# ---- cgroup v2 -----------------------------------------------------------------------


def _v2_cpu(directory: Path) -> CpuStats:
    stat = _keyed(_read(directory, CPU_STAT))
    return CpuStats(
        total_ns=stat.get("usage_usec", 0) * NS_PER_USEC,
        user_ns=stat.get("user_usec", 0) * NS_PER_USEC,
        system_ns=stat.get("system_usec", 0) * NS_PER_USEC,
        percpu_ns=(),
        periods=stat.get("nr_periods", 0),
        throttled_periods=stat.get("nr_throttled", 0),
        throttled_ns=stat.get("throttled_usec", 0) * NS_PER_USEC,
    )


def _v2_memory(directory: Path, host_memory: int) -> MemoryStats:
    events = _keyed(_read(directory, MEMORY_EVENTS))
    return MemoryStats(
        usage=_int(_read(directory, MEMORY_CURRENT)),
        limit=_limit(_read(directory, MEMORY_MAX), host_memory),
        max_usage=_optional_int(_read(directory, MEMORY_PEAK)),
        failcnt=events.get("oom", 0),  # moby: Failcnt = memory.events "oom"
        stats=_keyed(_read(directory, MEMORY_STAT)),
    )


def _read_v2(directory: Path, host_memory: int) -> CgroupStats:
    return CgroupStats(
        cpu=_v2_cpu(directory),
        memory=_v2_memory(directory, host_memory),
        blkio_service_bytes=_io_stat(_read(directory, IO_STAT)),
        pids_current=_int(_read(directory, PIDS_CURRENT)),
        pids_limit=_pids_limit(_read(directory, PIDS_MAX)),
    )
