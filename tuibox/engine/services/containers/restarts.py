"""Provides RestartPolicies: `--restart` applied by the engine, with Docker's backoff.

After each exit the policy decides: `always` restarts, `unless-stopped` too unless the
user stopped it, `on-failure[:N]` on a non-zero code while fewer than N restarts were made.
The delay starts at 100 ms and doubles with each restart up to a minute, and goes back to
100 ms once a run has lasted 10 s. A `docker stop` cancels a restart that is waiting, and
so does a removal. When the engine starts, containers whose policy says so are started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import EngineError
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.lifecycle import ContainerLifecycle

log = logging.getLogger(__name__)

FIRST_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0
"""A run that lasted this long (seconds) starts the backoff over."""


def policy_of(record: ContainerRecord) -> tuple[str, int]:
    """(name, maximum retry count) of the container's restart policy."""
    policy = record.host_config.get("RestartPolicy") or {}
    return str(policy.get("Name") or "no"), int(policy.get("MaximumRetryCount") or 0)


def should_restart(record: ContainerRecord, exit_code: int, *, at_engine_start: bool) -> bool:
    """Docker's rule for one container after an exit (or when the engine starts)."""
    name, maximum = policy_of(record)
    if name == "always":
        return at_engine_start or not record.manually_stopped
    if name == "unless-stopped":
        return not record.manually_stopped
    if name == "on-failure":
        return (exit_code != 0 and not record.manually_stopped
                and (maximum == 0 or record.restart_count < maximum))  # fmt: skip
    return False


class RestartPolicies:
    """Schedules the restarts the policies ask for; one waiting restart per container."""

    def __init__(self, context: ContainerContext, lifecycle: ContainerLifecycle) -> None:
        self.context = context
        self.lifecycle = lifecycle
        self.delays: dict[str, float] = {}

    def after_exit(self, record: ContainerRecord, exit_code: int) -> None:
        """Called with the container's lock held, its exit just recorded."""
        context = self.context
        if record.id in context.restarting or record.id in context.marked_for_removal:
            return  # `docker restart` or a removal has it
        if not should_restart(record, exit_code, at_engine_start=False):
            self.delays.pop(record.id, None)
            return
        ran_for = _seconds_since(record.state.started_at)
        delay = self.delays.get(record.id, FIRST_DELAY / 2) * 2
        if ran_for >= RESET_AFTER:
            delay = FIRST_DELAY
        delay = min(delay, MAX_DELAY)
        self.delays[record.id] = delay
        record.state.status = Status.RESTARTING
        context.save(record)
        task = asyncio.get_running_loop().create_task(self._restart_later(record, delay))
        context.pending_restarts[record.id] = task

    async def _restart_later(self, record: ContainerRecord, delay: float) -> None:
        await asyncio.sleep(delay)
        context = self.context
        async with context.lock(record.id):
            if context.pending_restarts.get(record.id) is not asyncio.current_task():
                return
            context.pending_restarts.pop(record.id, None)
            if context.records.get(record.id) is not record:
                return
            if record.state.status is not Status.RESTARTING:
                return
            record.restart_count += 1
            try:
                await self.lifecycle.start_locked(record)
            except EngineError as err:
                log.warning("restarting %s failed: %s", record.short_id, err)
                record.state.status = Status.EXITED
                record.state.finished_at = timestamps.now()
                context.save(record)
                context.publish(record, "die", exitCode=str(record.state.exit_code),
                                exit_code=record.state.exit_code)  # fmt: skip
                self.after_exit(record, record.state.exit_code or 1)

    async def start_at_engine_start(self) -> None:
        """Start the containers that are not running and whose policy wants them running."""
        for record in list(self.context.records.values()):
            if record.state.running or record.state.status is Status.REMOVING:
                continue
            if record.state.status is Status.CREATED:
                continue  # never started: a policy applies only to runs that ended
            if not should_restart(record, record.state.exit_code, at_engine_start=True):
                continue
            with contextlib.suppress(EngineError):
                async with self.context.lock(record.id):
                    if not record.state.running and self.context.records.get(record.id):
                        await self.lifecycle.start_locked(record)

    def cancel(self, container_id: str) -> None:
        """Drop a waiting restart (stop, removal)."""
        task = self.context.pending_restarts.pop(container_id, None)
        if task is not None:
            task.cancel()
        self.delays.pop(container_id, None)


def _seconds_since(moment: str) -> float:
    nanos = timestamps.parse_ns(moment)
    return 0.0 if nanos is None else time.time() - nanos / 1e9
