"""Provides the resource-figure models the TUI draws: one sample per container, the host, history.

They come either from tuibox's batched stream (`/tuibox/v1/stats`, figures computed by the
engine) or, for another engine, from Docker's per-container stats stream with the docker
CLI's formulas applied by `client/stats.py`. Either way the TUI sees the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _number(raw: Mapping[str, Any], key: str) -> float:
    value = raw.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass(frozen=True)
class StatsSample:
    """One container at one moment; network and block figures are cumulative byte counts."""

    time: float
    cpu_percent: float
    """Docker's CPU %: 100 per busy core (so up to 100 x cores)."""
    memory_used: int
    memory_limit: int
    net_rx: int
    net_tx: int
    blk_read: int
    blk_write: int
    pids: int
    pids_limit: int
    """0 when unlimited."""

    @classmethod
    def from_json(cls, time: float, raw: Mapping[str, Any]) -> StatsSample:
        """One container's entry of a batched-stream message."""
        return cls(
            time=time,
            cpu_percent=_number(raw, "cpu_percent"),
            memory_used=int(_number(raw, "memory_used")),
            memory_limit=int(_number(raw, "memory_limit")),
            net_rx=int(_number(raw, "net_rx")),
            net_tx=int(_number(raw, "net_tx")),
            blk_read=int(_number(raw, "blk_read")),
            blk_write=int(_number(raw, "blk_write")),
            pids=int(_number(raw, "pids")),
            pids_limit=int(_number(raw, "pids_limit")),
        )

    @property
    def memory_percent(self) -> float:
        """Memory in use against the limit (the host's memory when unlimited)."""
        return self.memory_used / self.memory_limit * 100 if self.memory_limit else 0.0


@dataclass(frozen=True)
class HostStats:
    """The host at one moment, as the engine sees it."""

    time: float
    cpu_percent: float
    """Busy share of all cores, 0 to 100."""
    cpus: int
    memory_used: int
    memory_total: int
    load: tuple[float, float, float]
    containers_running: int
    containers: int

    @classmethod
    def from_json(cls, time: float, raw: Mapping[str, Any]) -> HostStats:
        load = raw.get("load")
        values = [float(v) for v in load if isinstance(v, int | float)] if isinstance(
            load, list) else []  # fmt: skip
        triple = [*values, 0.0, 0.0, 0.0][:3]
        return cls(
            time=time,
            cpu_percent=_number(raw, "cpu_percent"),
            cpus=int(_number(raw, "cpus")) or 1,
            memory_used=int(_number(raw, "memory_used")),
            memory_total=int(_number(raw, "memory_total")),
            load=(triple[0], triple[1], triple[2]),
            containers_running=int(_number(raw, "containers_running")),
            containers=int(_number(raw, "containers")),
        )


@dataclass(frozen=True)
class StatsBatch:
    """One second of the batched stream: the host and every running container."""

    time: float
    host: HostStats
    containers: dict[str, StatsSample]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> StatsBatch:
        time = _number(raw, "time")
        host = raw.get("host")
        containers = raw.get("containers")
        return cls(
            time=time,
            host=HostStats.from_json(time, host if isinstance(host, dict) else {}),
            containers={
                str(cid): StatsSample.from_json(time, values)
                for cid, values in (containers.items() if isinstance(containers, dict) else [])
                if isinstance(values, dict)
            },
        )


@dataclass(frozen=True)
class StatsHistory:
    """Past samples, oldest first, per container (and of the host)."""

    interval: float
    containers: dict[str, list[StatsSample]] = field(default_factory=dict)
    host: list[HostStats] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> StatsHistory:
        """The engine's columns: {"time": [...], "cpu_percent": [...], ...} per container."""
        containers = raw.get("containers")
        history = cls(interval=_number(raw, "interval") or 1.0)
        if isinstance(containers, dict):
            for cid, columns in containers.items():
                if isinstance(columns, dict):
                    history.containers[str(cid)] = [
                        StatsSample.from_json(row["time"], row) for row in _rows(columns)
                    ]
        host = raw.get("host")
        if isinstance(host, dict):
            history.host.extend(HostStats.from_json(row["time"], row) for row in _rows(host))
        return history


def _rows(columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Turn {"time": [t1, t2], "x": [a, b]} into [{"time": t1, "x": a}, ...]."""
    times = columns.get("time")
    if not isinstance(times, list):
        return []
    names = [k for k, v in columns.items() if isinstance(v, list) and len(v) == len(times)]
    return [{name: columns[name][i] for name in names} for i in range(len(times))]


@dataclass(frozen=True)
class StatsEvent:
    """What the batched stream delivers: history once on connect, then a batch a second."""

    history: StatsHistory | None = None
    batch: StatsBatch | None = None
