"""Docker's stats formulas, applied to the standard stats stream of any engine (pure).

These are the docker CLI's own: CPU % from the change of the container's and the host's
CPU time between two documents, memory without the inactive file cache, block and
network bytes summed. tuibox's engine computes the same figures itself and sends them on
its batched stream; this module serves dockerd and podman, which send raw counters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuibox.client.stats_models import StatsSample
from tuibox.timestamps import parse_ns


def _get(raw: Mapping[str, Any], *keys: str) -> Any:
    value: Any = raw
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def cpu_percent(document: Mapping[str, Any]) -> float:
    """CPU % = Δcontainer / Δsystem x online CPUs x 100, from cpu_stats and precpu_stats."""
    cpu_delta = _int(_get(document, "cpu_stats", "cpu_usage", "total_usage")) - _int(
        _get(document, "precpu_stats", "cpu_usage", "total_usage"))  # fmt: skip
    system_delta = _int(_get(document, "cpu_stats", "system_cpu_usage")) - _int(
        _get(document, "precpu_stats", "system_cpu_usage"))  # fmt: skip
    cpus = _int(_get(document, "cpu_stats", "online_cpus"))
    if not cpus:
        percpu = _get(document, "cpu_stats", "cpu_usage", "percpu_usage")
        cpus = len(percpu) if isinstance(percpu, list) else 0
    if cpu_delta <= 0 or system_delta <= 0 or cpus <= 0:
        return 0.0
    return cpu_delta / system_delta * cpus * 100.0


def memory_used(document: Mapping[str, Any]) -> int:
    """Usage less total_inactive_file (cgroup v1) or inactive_file (v2), as the CLI shows."""
    usage = _int(_get(document, "memory_stats", "usage"))
    stats = _get(document, "memory_stats", "stats")
    stats = stats if isinstance(stats, Mapping) else {}
    for key in ("total_inactive_file", "inactive_file"):
        if key in stats:
            inactive = _int(stats[key])
            return usage - inactive if inactive < usage else usage
    return usage


def block_bytes(document: Mapping[str, Any]) -> tuple[int, int]:
    """Bytes read and written: io_service_bytes_recursive entries whose op starts r or w."""
    entries = _get(document, "blkio_stats", "io_service_bytes_recursive")
    read = write = 0
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        op = str(entry.get("op") or "")[:1].lower()
        if op == "r":
            read += _int(entry.get("value"))
        elif op == "w":
            write += _int(entry.get("value"))
    return read, write


def network_bytes(document: Mapping[str, Any]) -> tuple[int, int]:
    """Bytes received and sent over every interface."""
    networks = document.get("networks")
    rx = tx = 0
    for counters in networks.values() if isinstance(networks, Mapping) else []:
        if isinstance(counters, Mapping):
            rx += _int(counters.get("rx_bytes"))
            tx += _int(counters.get("tx_bytes"))
    return rx, tx


def sample_from_docker(document: Mapping[str, Any]) -> StatsSample:
    """One StatsSample from a Docker stats document."""
    read = parse_ns(str(document.get("read") or "")) or 0
    rx, tx = network_bytes(document)
    blk_read, blk_write = block_bytes(document)
    return StatsSample(
        time=read / 1e9,
        cpu_percent=cpu_percent(document),
        memory_used=memory_used(document),
        memory_limit=_int(_get(document, "memory_stats", "limit")),
        net_rx=rx,
        net_tx=tx,
        blk_read=blk_read,
        blk_write=blk_write,
        pids=_int(_get(document, "pids_stats", "current")),
        pids_limit=_int(_get(document, "pids_stats", "limit")),
    )


NANOCPU_PERIOD = 100000
"""The CFS period `--cpus` stands for (100 ms), in microseconds."""


def cpu_limit_cores(host_config: Mapping[str, Any]) -> float | None:
    """How many cores a container's CFS quota allows (`--cpus`, or quota over period).

    None without a quota: its CPU may use every core of the host.
    """
    nano = _int(host_config.get("NanoCpus"))
    if nano > 0:
        return nano / 10**9
    quota, period = _int(host_config.get("CpuQuota")), _int(host_config.get("CpuPeriod"))
    if quota > 0:
        return quota / (period or NANOCPU_PERIOD)
    return None
