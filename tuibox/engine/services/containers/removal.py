"""Provides ContainerRemoval: `docker rm` (forced or not) and the auto-remove of `--rm` runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal as signals
import time
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.domain.time_filter import parse_time_filter
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.runs import KILL_WAIT_SECONDS, Runs
from tuibox.engine.services.containers.sizes import directory_size
from tuibox.engine.services.volumes.service import VolumeService

log = logging.getLogger(__name__)

PRUNE_FILTERS = frozenset({"until", "label", "label!"})
READER_DRAIN_SECONDS = 5.0
"""How long auto-remove waits for attached readers to take a run's last output."""


class ContainerRemoval:
    """Removes containers: 409 while running unless forced, which kills them first."""

    def __init__(
        self, context: ContainerContext, runs: Runs, volumes: VolumeService | None = None
    ) -> None:
        self.context = context
        self.runs = runs
        self.volumes = volumes

    async def remove(self, given: str, force: bool, volumes: bool = False) -> None:
        """Remove a container by name or ID (`volumes`: its anonymous volumes too, rm -v).

        Raises:
            NotFound: no such container.
            Conflict: it runs and `force` is not set.
        """
        record = self.context.lookup(given)
        await self.context.owned(self.remove_record(record, given, force, volumes=volumes))

    async def remove_record(
        self,
        record: ContainerRecord,
        given: str,
        force: bool,
        *,
        claimed: bool = False,
        volumes: bool = False,
    ) -> None:
        """Remove a container already looked up; kills it first when forced.

        Args:
            claimed: the caller marked it for removal already (an auto-remove).
            volumes: remove the anonymous volumes no other container uses.

        Raises:
            Conflict: it runs and `force` is not set, or another removal of it is under way.
        """
        context = self.context
        async with context.lock(record.id):
            context.ensure_present(record, given)
            record.state.check_can_remove(given, force)
            if record.id in context.marked_for_removal and not claimed:
                raise Conflict(f"removal of container {given} is already in progress")
            context.marked_for_removal.add(record.id)
            was_running = record.state.running
            if was_running:
                context.publish(record, "kill", signal=str(int(signals.SIGKILL)))
                with contextlib.suppress(RuntimeFailure):  # it may be exiting already
                    await self.runs.runtime.kill(record.id, signals.SIGKILL)
                await self.runs.thaw(record)
        try:
            if was_running:
                await self.runs.wait_for_exit(record, KILL_WAIT_SECONDS)
            async with context.lock(record.id):
                if context.records.get(record.id) is not record:
                    return  # removed meanwhile (auto-remove): the wish is granted
                if record.state.running:
                    raise Conflict(f"container {given} started again while being removed")
                await self.remove_locked(record, volumes=volumes)
        finally:
            context.marked_for_removal.discard(record.id)

    async def remove_locked(self, record: ContainerRecord, *, volumes: bool = False) -> None:
        """Mark the record removing, take its anonymous volumes if asked, tell waiters,
        then free its files (lock held).

        `docker run --rm` waits for the destroy event, so the volumes go before it (as
        dockerd removes them before it reports the container removed); the unmount and
        file removal that follow need not delay it. An engine that dies before the end
        finishes the job when it recovers, since the record on disk says removing.
        """
        context = self.context
        record.state.status = Status.REMOVING
        context.save(record)
        context.records.pop(record.id, None)
        if volumes and self.volumes is not None:
            await self.volumes.remove_anonymous(record.volume_names(anonymous_only=True))
        context.publish(record, "destroy", exit_code=record.state.exit_code)
        await self.runs.release(record)
        await asyncio.to_thread(context.store.delete, record.id)
        context.forget(record.id)

    async def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        """POST /containers/prune: remove every container that is not running.

        Filters: `until` (created before), `label` and `label!` (Docker's).

        Raises:
            InvalidArgument: an unknown filter or a bad time.
        """
        for key in filters:
            if key not in PRUNE_FILTERS:
                raise InvalidArgument(f"invalid filter '{key}'")
        now = time.time()
        untils = [parse_time_filter("until", v, now) for v in filters.get("until", [])]
        deleted: list[str] = []
        reclaimed = 0
        for record in list(self.context.records.values()):
            if record.state.running or record.id in self.context.marked_for_removal:
                continue
            created = (timestamps.parse_ns(record.created) or 0) / 1e9
            labels = record.config.get("Labels") or {}
            if any(created >= until for until in untils):
                continue
            if not all(label_matches(labels, w) for w in filters.get("label", [])):
                continue
            if any(label_matches(labels, w) for w in filters.get("label!", [])):
                continue
            size = await asyncio.to_thread(directory_size, self.context.paths(record.id).upper)
            with contextlib.suppress(NotFound, Conflict):  # started or removed meanwhile
                await self.context.owned(self.remove_record(record, record.id, force=False))
                deleted.append(record.id)
                reclaimed += size
        return {"ContainersDeleted": deleted, "SpaceReclaimed": reclaimed}

    async def auto_remove(
        self, record: ContainerRecord, *, drain: bool = True, marked: bool = False
    ) -> None:
        """Remove a `--rm` container once attached readers have its last output.

        The container is marked for removal at once (unless the caller did, `marked`), so
        no start slips in meanwhile; one another removal has marked is left to it.
        """
        if not marked:
            if record.id in self.context.marked_for_removal:
                return  # another removal has it
            self.context.marked_for_removal.add(record.id)
        pending = self.context.readers_done(record.id) if drain else []
        if pending:
            try:
                await asyncio.wait_for(asyncio.gather(*pending), READER_DRAIN_SECONDS)
            except TimeoutError:
                log.info("removing %s while a slow reader still reads", record.short_id)
        try:
            with contextlib.suppress(NotFound, Conflict):
                await self.remove_record(record, record.id, force=True, claimed=True,
                                         volumes=True)  # `--rm` takes its anonymous volumes
        finally:
            self.context.marked_for_removal.discard(record.id)
