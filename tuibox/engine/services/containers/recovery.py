"""Provides ContainerRecovery: after an engine restart, reconcile records with the runtime."""

from __future__ import annotations

import contextlib
import signal as signals

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.exits import LOST_EXIT_CODE, ExitRecorder
from tuibox.engine.services.containers.removal import ContainerRemoval
from tuibox.engine.services.containers.runs import Runs


class ContainerRecovery:
    """Loads the records once at engine start and settles each with what really happened.

    A run that went on under its monitor is watched again; one that ended while no
    engine ran gets its exit recorded; an interrupted start is adopted or freed; an
    interrupted removal is finished.
    """

    def __init__(
        self,
        context: ContainerContext,
        runtime: Runtime,
        runs: Runs,
        exits: ExitRecorder,
        removal: ContainerRemoval,
    ) -> None:
        self.context = context
        self.runtime = runtime
        self.runs = runs
        self.exits = exits
        self.removal = removal

    async def recover(self) -> None:
        """Reload every record and reconcile it with the runtime.

        A run that ended while no engine ran is left to the start-up's pass of the restart
        policies, as dockerd does: started at once if its policy says so, not counted as a
        restart. The after-exit hook (the backoff) would otherwise race that pass for it.
        """
        context = self.context
        for loaded in context.store.load_all():
            context.records[loaded.id] = loaded
        on_exit = self.exits.after_exit
        ended_while_down: set[str] = set()

        def after_exit(record: ContainerRecord, exit_code: int) -> None:
            if record.id not in ended_while_down and on_exit is not None:
                on_exit(record, exit_code)

        self.exits.after_exit = after_exit
        try:
            for record in list(context.records.values()):
                await self._recover_one(record, ended_while_down)
        finally:
            self.exits.after_exit = on_exit

    async def _recover_one(self, record: ContainerRecord, ended_while_down: set[str]) -> None:
        monitor_alive = self.runtime.conmon_alive(record.id)
        status = record.state.status
        if status is Status.REMOVING:
            async with self.context.lock(record.id):
                await self.removal.remove_locked(record)
        elif record.state.running and monitor_alive:
            await self._sync_paused(record)
            self.exits.watch(record.id)
        elif record.state.running:
            ended_while_down.add(record.id)
            code = self.runtime.exit_code(record.id)
            finished = self.runtime.exit_time(record.id)
            await self.exits.record_exit(
                record.id,
                LOST_EXIT_CODE if code is None else code,
                timestamps.format_unix(finished) if finished else None,
            )
        elif monitor_alive:
            await self._finish_interrupted_start(record)
        else:
            if self.runs.holds_resources(record):
                await self.runs.release(record)
            if record.auto_remove:
                await self.removal.auto_remove(record)

    async def _sync_paused(self, record: ContainerRecord) -> None:
        """Take paused or not from the runtime: a pause the last engine did not save."""
        try:
            runtime_state = await self.runtime.state(record.id)
        except RuntimeFailure:
            return
        if runtime_state is None or runtime_state.status not in ("running", "paused"):
            return
        status = Status.PAUSED if runtime_state.status == "paused" else Status.RUNNING
        if record.state.status is not status:
            record.state.status = status
            self.context.save(record)

    async def _finish_interrupted_start(self, record: ContainerRecord) -> None:
        """An engine that died between starting a run and saving the record left it live:
        adopt it if it runs, otherwise free what the half-done start holds."""
        runtime_state = await self.runtime.state(record.id)
        if runtime_state is not None and runtime_state.status == "running":
            state = record.state
            state.status, state.pid = Status.RUNNING, runtime_state.pid
            state.started_at = timestamps.now()
            self.context.save(record)
            self.exits.watch(record.id)
            return
        with contextlib.suppress(RuntimeFailure):
            await self.runtime.kill(record.id, signals.SIGKILL)
        await self.runs.release(record)
