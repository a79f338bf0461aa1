"""Provides StatsSampler: once a second, every running container's cgroup figures, and history.

One task for the whole engine: each tick lists the running containers, reads all of them
(and the host) in one worker-thread call, derives Docker's figures (CPU % from the change
since the last tick, memory without the inactive page cache), appends them to each
container's 15-minute ring and wakes whoever waits for the next tick: the `docker stats`
streams and tuibox's batched stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.metrics import HostSample
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.stats import figures
from tuibox.engine.services.stats.history import HISTORY_SECONDS, HOST_SERIES, SeriesRing
from tuibox.engine.services.stats.source import ContainerReading, MetricsSource

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Reading:
    """One container read at one tick, with the host as it was then."""

    time_ns: int
    container: ContainerReading
    host: HostSample


@dataclass(slots=True)
class Tracked:
    """What the sampler keeps about one container: its ring and its last two readings."""

    ring: SeriesRing
    current: Reading | None = None
    previous: Reading | None = None


@dataclass(frozen=True)
class Tick:
    """One round: when, the host's figures, and each running container's figures."""

    time: float
    host: dict[str, Any]
    containers: dict[str, dict[str, float]]


class StatsSampler:
    """Samples every running container at 1 Hz and keeps 15 minutes of history.

    Lifecycle: `start` once the engine serves, `stop` at shutdown. `sample` runs one
    round (the loop calls it; tests call it directly).
    """

    def __init__(
        self,
        context: ContainerContext,
        source: MetricsSource,
        *,
        cgroup_parent: str,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self.context = context
        self.source = source
        self.cgroup_parent = cgroup_parent
        self.interval = interval
        self.tracked: dict[str, Tracked] = {}
        self.host_ring = SeriesRing(series=HOST_SERIES)
        self.latest: Tick | None = None
        self._host: HostSample | None = None
        self._sampled: dict[str, str] = {}
        """Container ID -> cgroup path of the containers sampled last tick."""
        self._ticked = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        started = time.monotonic()
        while True:
            try:
                await self.sample()
            except Exception:  # a bad tick must not end the sampling for good
                log.exception("stats sampling failed; trying again next second")
            elapsed = time.monotonic() - started
            await asyncio.sleep(self.interval - elapsed % self.interval)

    async def next_tick(self) -> Tick:
        """Wait for the next round and return it."""
        async with self._ticked:
            await self._ticked.wait()
            assert self.latest is not None
            return self.latest

    async def sample(self) -> Tick:
        """Read the host and every running container once, record it, wake the waiters."""
        running = [r for r in self.context.records.values()
                   if r.state.running and r.state.pid > 0]  # fmt: skip
        targets = [(r.id, self.cgroup_path(r), r.state.pid) for r in running]
        running_ids = {container_id for container_id, _, _ in targets}
        stopped = [path for cid, path in self._sampled.items() if cid not in running_ids]
        self._sampled = {cid: path for cid, path, _ in targets}
        host, readings = await asyncio.to_thread(self._read, targets, stopped)
        now_ns = time.time_ns()
        tick = self._record(now_ns, host, readings, (len(running), len(self.context.records)))
        self._forget_old(now_ns / 1e9)
        self.latest = tick
        async with self._ticked:
            self._ticked.notify_all()
        return tick

    def cgroup_path(self, record: ContainerRecord) -> str:
        """Where the container's cgroup is, below each hierarchy."""
        return record.cgroup_path or f"{self.cgroup_parent}/{record.id}"

    def _read(
        self, targets: list[tuple[str, str, int]], stopped: list[str]
    ) -> tuple[HostSample, dict[str, ContainerReading]]:
        """Blocking: the host, then each container (one that just ended is skipped).

        `stopped` are the cgroups of containers sampled last time that no longer run.
        """
        for cgroup_path in stopped:
            self.source.forget(cgroup_path)
        host = self.source.host()
        readings: dict[str, ContainerReading] = {}
        for container_id, cgroup_path, pid in targets:
            try:
                readings[container_id] = self.source.container(
                    cgroup_path, pid, host.memory_total
                )
            except RuntimeFailure as err:
                log.debug("no stats for %s this second: %s", container_id[:12], err)
        return host, readings

    def _record(
        self,
        now_ns: int,
        host: HostSample,
        readings: dict[str, ContainerReading],
        counts: tuple[int, int],
    ) -> Tick:
        now = now_ns / 1e9
        containers: dict[str, dict[str, float]] = {}
        for container_id, reading in readings.items():
            tracked = self.tracked.get(container_id)
            if tracked is None:  # not setdefault: that would build a ring every tick
                tracked = self.tracked[container_id] = Tracked(SeriesRing())
            tracked.previous, tracked.current = tracked.current, Reading(now_ns, reading, host)
            values = figures.container_figures(tracked.current, tracked.previous)
            tracked.ring.append(now, values)
            containers[container_id] = values
        host_values = figures.host_figures(host, self._host, *counts)
        self._host = host
        self.host_ring.append(now, host_values)
        return Tick(now, host_values, containers)

    def _forget_old(self, now: float) -> None:
        """Drop what is older than the history window: ended containers' rings too."""
        for container_id, tracked in list(self.tracked.items()):
            last = tracked.ring.last_time
            if last is not None and now - last > HISTORY_SECONDS:
                del self.tracked[container_id]

    def readings(self, container_id: str) -> tuple[Reading | None, Reading | None]:
        """The container's previous and current readings (None before there are any)."""
        tracked = self.tracked.get(container_id)
        if tracked is None:
            return None, None
        return tracked.previous, tracked.current

    def history(
        self, since: float, container_ids: list[str] | None = None
    ) -> dict[str, Any]:
        """Columns of every kept container's samples after `since` (or of those named)."""
        wanted = self.tracked if container_ids is None else {
            c: self.tracked[c] for c in container_ids if c in self.tracked}  # fmt: skip
        return {
            "interval": self.interval,
            "containers": {cid: tracked.ring.since(since) for cid, tracked in wanted.items()},
            "host": self.host_ring.since(since),
        }
