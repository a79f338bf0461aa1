"""Docker's figures from cgroup readings: CPU %, memory in use, block and network bytes (pure).

The formulas are the docker CLI's, so tuibox shows the numbers `docker stats` prints:
- CPU % = Δ container CPU time / Δ host CPU time (both from the same two ticks)
  * online CPUs * 100, when both changes are positive;
- memory in use = usage - inactive file cache (`total_inactive_file` on cgroup v1,
  `inactive_file` on v2), when that is smaller than the usage;
- block read/write = the sums of the read and write entries of io_service_bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tuibox.engine.cgroups.stats import CgroupStats, MemoryStats
from tuibox.engine.metrics import HostSample, NetCounters

if TYPE_CHECKING:
    from tuibox.engine.services.stats.sampler import Reading


def cpu_percent(
    cpu_delta_ns: int, system_delta_ns: int, online_cpus: int, percpu_count: int = 0
) -> float:
    """Docker's CPU %: one busy core of any host reads 100."""
    cpus = online_cpus or percpu_count
    if cpu_delta_ns <= 0 or system_delta_ns <= 0 or cpus <= 0:
        return 0.0
    return cpu_delta_ns / system_delta_ns * cpus * 100.0


def memory_used(memory: MemoryStats) -> int:
    """Usage without the page cache the kernel can drop at once (the docker CLI's MEM USAGE)."""
    stats = memory.stats
    inactive = stats.get("total_inactive_file", stats.get("inactive_file"))
    if inactive is not None and inactive < memory.usage:
        return memory.usage - inactive
    return memory.usage


def block_bytes(cgroup: CgroupStats) -> tuple[int, int]:
    """Bytes read and written, summed over devices as the docker CLI sums them."""
    read = sum(e.value for e in cgroup.blkio_service_bytes if e.op[:1] in ("r", "R"))
    write = sum(e.value for e in cgroup.blkio_service_bytes if e.op[:1] in ("w", "W"))
    return read, write


def network_bytes(networks: dict[str, NetCounters]) -> tuple[int, int]:
    """Bytes received and sent over all the container's interfaces."""
    return (sum(n.rx_bytes for n in networks.values()),
            sum(n.tx_bytes for n in networks.values()))  # fmt: skip


def container_figures(current: Reading, previous: Reading | None) -> dict[str, float]:
    """The figures kept in history and sent to the TUI for one container at one tick."""
    cgroup = current.container.cgroup
    percent = 0.0
    if previous is not None:
        before = previous.container.cgroup.cpu
        percent = cpu_percent(
            cgroup.cpu.total_ns - before.total_ns,
            current.host.system_usage_ns - previous.host.system_usage_ns,
            current.host.online_cpus,
            len(cgroup.cpu.percpu_ns),
        )
    rx, tx = network_bytes(current.container.networks)
    read, write = block_bytes(cgroup)
    limit = cgroup.memory.limit
    return {
        "cpu_percent": percent,
        "memory_used": memory_used(cgroup.memory),
        "memory_limit": limit if limit is not None else current.host.memory_total,
        "net_rx": rx,
        "net_tx": tx,
        "blk_read": read,
        "blk_write": write,
        "pids": cgroup.pids_current,
        "pids_limit": cgroup.pids_limit or 0,
    }


def host_figures(
    host: HostSample, previous: HostSample | None, running: int, total: int
) -> dict[str, Any]:
    """The host's figures at one tick: CPU % of all cores, memory, load, container counts."""
    busy = 0.0
    if previous is not None:
        elapsed = host.system_usage_ns - previous.system_usage_ns
        idle = host.idle_ns - previous.idle_ns
        if elapsed > 0:
            busy = max(0.0, min(100.0, (1 - idle / elapsed) * 100.0))
    return {
        "cpu_percent": busy,
        "cpus": host.online_cpus,
        "memory_used": host.memory_used,
        "memory_total": host.memory_total,
        "load": list(host.load),
        "containers_running": running,
        "containers": total,
    }
