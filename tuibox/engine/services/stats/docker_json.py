"""Docker's stats JSON (GET /containers/{id}/stats) from two readings of one container (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuibox import timestamps
from tuibox.engine.cgroups.stats import CgroupStats
from tuibox.engine.domain.container import ContainerRecord

if TYPE_CHECKING:
    from tuibox.engine.services.stats.sampler import Reading

_V1_BLKIO_EMPTY = (
    "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
    "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive",
)  # fmt: skip


def stats_document(
    record: ContainerRecord, current: Reading | None, previous: Reading | None
) -> dict[str, Any]:
    """The stats of one container, with `precpu_stats` from the reading before.

    A container with no reading (not running) gets Docker's empty document: zero times
    and zero figures, its name and ID.
    """
    document: dict[str, Any] = {
        "read": timestamps.format_ns(current.time_ns) if current else timestamps.ZERO_TIME,
        "preread": timestamps.format_ns(previous.time_ns) if previous else timestamps.ZERO_TIME,
        "pids_stats": {},
        "blkio_stats": {"io_service_bytes_recursive": None},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu(current),
        "precpu_stats": _cpu(previous),
        "memory_stats": {},
        "name": f"/{record.name}",
        "id": record.id,
    }
    if current is None:
        return document
    cgroup = current.container.cgroup
    document["pids_stats"] = _pids(cgroup)
    v1 = current.container.cgroup_version == 1
    document["blkio_stats"] = _blkio(cgroup, v1)
    document["memory_stats"] = _memory(cgroup, current.host.memory_total, v1)
    networks = current.container.networks
    if networks:
        document["networks"] = {name: vars(counters) for name, counters in networks.items()}
    return document


def _cpu(reading: Reading | None) -> dict[str, Any]:
    if reading is None:
        zero = {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0}
        throttling = {"periods": 0, "throttled_periods": 0, "throttled_time": 0}
        return {"cpu_usage": zero, "throttling_data": throttling}
    cpu = reading.container.cgroup.cpu
    usage: dict[str, Any] = {
        "total_usage": cpu.total_ns,
        "usage_in_kernelmode": cpu.system_ns,
        "usage_in_usermode": cpu.user_ns,
    }
    if cpu.percpu_ns:  # cgroup v1 only
        usage["percpu_usage"] = list(cpu.percpu_ns)
    return {
        "cpu_usage": usage,
        "system_cpu_usage": reading.host.system_usage_ns,
        "online_cpus": reading.host.online_cpus,
        "throttling_data": {
            "periods": cpu.periods,
            "throttled_periods": cpu.throttled_periods,
            "throttled_time": cpu.throttled_ns,
        },
    }


def _pids(cgroup: CgroupStats) -> dict[str, Any]:
    pids: dict[str, Any] = {"current": cgroup.pids_current}
    if cgroup.pids_limit is not None:
        pids["limit"] = cgroup.pids_limit
    return pids


def _blkio(cgroup: CgroupStats, v1: bool) -> dict[str, Any]:
    entries = [{"major": e.major, "minor": e.minor, "op": e.op, "value": e.value}
               for e in cgroup.blkio_service_bytes]  # fmt: skip
    blkio: dict[str, Any] = {"io_service_bytes_recursive": entries}
    blkio.update({key: [] if v1 else None for key in _V1_BLKIO_EMPTY})  # v2 has none of them
    return blkio


def _memory(cgroup: CgroupStats, host_memory: int, v1: bool) -> dict[str, Any]:
    memory = cgroup.memory
    document: dict[str, Any] = {
        "usage": memory.usage,
        "stats": dict(memory.stats),
        "limit": memory.limit if memory.limit is not None else host_memory,
    }
    if memory.max_usage is not None:
        document["max_usage"] = memory.max_usage
    if v1:  # only cgroup v1 has a failure count
        document["failcnt"] = memory.failcnt
    return document
