"""Provides StatsService: `docker stats`, `docker top`, and tuibox's batched stats stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from tuibox.engine.domain.errors import Conflict
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.stats import top
from tuibox.engine.services.stats.docker_json import stats_document
from tuibox.engine.services.stats.history import HISTORY_SECONDS
from tuibox.engine.services.stats.sampler import StatsSampler
from tuibox.engine.services.stats.source import MetricsSource


class StatsService:
    """Answers from the sampler's readings; never reads cgroups itself, so a hundred
    watchers cost what one does."""

    def __init__(
        self, context: ContainerContext, sampler: StatsSampler, source: MetricsSource
    ) -> None:
        self.context = context
        self.sampler = sampler
        self.source = source

    def container_stats(
        self, given: str, *, stream: bool, one_shot: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        """Docker's stats documents for one container: one, or one a second while it exists.

        `one_shot` (with stream off) leaves precpu_stats empty, as Docker's one-shot does.

        Raises:
            NotFound: no such container (checked now, before the first document).
        """
        record = self.context.lookup(given)
        return self._documents(record.id, stream=stream, one_shot=one_shot and not stream)

    async def _documents(
        self, container_id: str, *, stream: bool, one_shot: bool
    ) -> AsyncIterator[dict[str, Any]]:
        while True:
            record = self.context.records.get(container_id)
            if record is None:
                return  # removed: the stream ends, as Docker's does
            if record.state.running:
                previous, current = self.sampler.readings(container_id)
                if current is not None and current.time_ns // 1_000_000_000 < time.time() - 3:
                    previous = current = None  # a reading of an earlier run
            else:
                previous = current = None
            yield stats_document(record, current, None if one_shot else previous)
            if not stream:
                return
            await self.sampler.next_tick()

    def batched(self, since: float | None) -> AsyncIterator[dict[str, Any]]:
        """tuibox's stream: the history since `since` (if given), then every tick."""
        return self._batches(since)

    async def _batches(self, since: float | None) -> AsyncIterator[dict[str, Any]]:
        if since is not None:
            yield {"history": self.sampler.history(max(since, time.time() - HISTORY_SECONDS))}
        latest = self.sampler.latest
        if latest is not None:
            yield _tick_message(latest)
        while True:
            tick = await self.sampler.next_tick()
            yield _tick_message(tick)

    def history(self, container_ids: list[str], since: float) -> dict[str, Any]:
        """The kept samples after `since` of the containers named (all when none are).

        Raises:
            NotFound: a name that matches no container.
        """
        ids = [self.context.lookup(given).id for given in container_ids] or None
        return self.sampler.history(since, ids)

    async def top(self, given: str, ps_args: str | None) -> dict[str, Any]:
        """`docker top`: the processes in the container's cgroup, as ps shows them.

        Raises:
            NotFound: no such container.
            Conflict: it is not running.
            InvalidArgument: ps_args that ps refuses or that leave out the PID column.
        """
        record = self.context.lookup(given)
        if not record.state.running:
            raise Conflict(f"container {record.id} is not running")
        arguments = top.ps_arguments(ps_args)
        cgroup_path = self.sampler.cgroup_path(record)
        pids = await asyncio.to_thread(self.source.container_pids, cgroup_path)
        output = await self.source.ps(arguments)
        return top.filter_processes(output, set(pids))


def _tick_message(tick: Any) -> dict[str, Any]:
    return {"time": round(tick.time, 3), "host": tick.host, "containers": tick.containers}
