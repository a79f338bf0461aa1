"""Provides ExitRecorder: one watcher per running container records how its run ended."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.removal import ContainerRemoval
from tuibox.engine.services.containers.runs import Runs
from tuibox.engine.services.stats.source import MetricsSource

log = logging.getLogger(__name__)

LOST_EXIT_CODE = 255
"""The exit code recorded when the monitor vanished without writing one."""


class ExitRecorder:
    """Waits on the runtime for each run's end, records it, publishes die, auto-removes."""

    def __init__(
        self,
        context: ContainerContext,
        runtime: Runtime,
        runs: Runs,
        removal: ContainerRemoval,
        metrics: MetricsSource,
    ) -> None:
        self.context = context
        self.runtime = runtime
        self.runs = runs
        self.removal = removal
        self.metrics = metrics
        self.after_exit: Callable[[ContainerRecord, int], None] | None = None
        """Called under the lock once an exit is recorded and the run freed (the restart
        policies); set by the composition root, which builds those after this."""

    def watch(self, container_id: str) -> None:
        """Start watching a running container's run."""
        task = asyncio.get_running_loop().create_task(self._watch_exit(container_id))
        self.context.watchers[container_id] = task

    async def _watch_exit(self, container_id: str) -> None:
        try:
            exit_code = await self.runtime.wait_exit(container_id)
        except RuntimeFailure as err:
            log.error("lost track of container %s: %s", container_id[:12], err)
            exit_code = LOST_EXIT_CODE
        await self.record_exit(container_id, exit_code)

    def _oom_killed(self, record: ContainerRecord) -> bool:
        try:
            return self.metrics.oom_kills(record.cgroup_path) > 0
        except (OSError, RuntimeFailure):
            return False

    async def record_exit(
        self, container_id: str, exit_code: int, finished_at: str | None = None
    ) -> None:
        """Record how a run ended, publish die, free the run, and auto-remove if asked."""
        context = self.context
        context.watchers.pop(container_id, None)
        record = context.records.get(container_id)
        if record is None:
            return
        removing = record.auto_remove and container_id not in context.restarting
        async with context.lock(container_id):
            if not record.state.running:
                return
            if removing and container_id in context.marked_for_removal:
                removing = False  # a removal under way (rm -f) finishes the job
            elif removing:
                context.marked_for_removal.add(container_id)  # no start before auto-remove
            # The cgroup outlives the run until the runtime deletes it, below. Read before
            # the state changes: no verb may see the run ended before its die event.
            oom_killed = await asyncio.to_thread(self._oom_killed, record)
            state = record.state
            state.status, state.pid, state.exit_code = Status.EXITED, 0, exit_code
            state.oom_killed = oom_killed
            state.finished_at = finished_at or timestamps.now()
            context.save(record)
            # Names, port rules and host ports go before die, as dockerd's Cleanup precedes
            # it: a `docker stop` or `run --rm` that returned has freed its published ports.
            # The veth deletion (10-30 ms of RCU) and the lease after it finish in the
            # background; whatever could meet them half-done waits for them.
            if self.runs.networking is not None:
                await self.runs.networking.end_run_after_exit(record)
            context.publish(record, "die", exitCode=str(exit_code), exit_code=exit_code)
            if not removing:  # a removal releases it right after the destroy event
                await self.runs.release(record)
                if self.after_exit is not None:
                    self.after_exit(record, exit_code)
        if removing:
            await self.removal.auto_remove(record, marked=True)
