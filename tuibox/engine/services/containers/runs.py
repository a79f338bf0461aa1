"""Provides Runs: what several verbs do to a container's run: signal it, wait for it, free it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.events import container_event
from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.networking import ContainerNetworking

log = logging.getLogger(__name__)

KILL_WAIT_SECONDS = 10.0
"""How long a SIGKILLed container may take to be recorded as exited."""


class Runs:
    """Signals, exit waits and the release of a run's resources, shared by the verb groups."""

    def __init__(
        self, context: ContainerContext, runtime: Runtime, mounter: RootfsMounter,
        networking: ContainerNetworking | None = None,
    ) -> None:  # fmt: skip
        self.context = context
        self.runtime = runtime
        self.mounter = mounter
        self.networking = networking

    async def signal(self, record: ContainerRecord, number: int) -> None:
        """Publish the kill event and send the signal; an exit may beat it, which is fine."""
        self.context.publish(record, "kill", signal=str(number))
        with contextlib.suppress(RuntimeFailure):
            await self.runtime.kill(record.id, number)
        await self.thaw(record)

    async def thaw(self, record: ContainerRecord) -> None:
        """Unpause a paused container after a signal, so a frozen process gets it."""
        if record.state.status is not Status.PAUSED:
            return
        with contextlib.suppress(RuntimeFailure):  # it may have ended meanwhile
            await self.runtime.resume(record.id)
        if record.state.status is Status.PAUSED:
            record.state.status = Status.RUNNING
            self.context.save(record)
            self.context.publish(record, "unpause")

    async def wait_for_exit(self, record: ContainerRecord, timeout: float | None) -> bool:
        """Wait until the current run is recorded as ended; False on timeout."""
        events = self.context.events
        queue = events.subscribe(container_event(record.id, {"die", "destroy"}))
        try:
            if not record.state.running:
                return True
            await asyncio.wait_for(queue.get(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            events.unsubscribe(queue)

    async def release(self, record: ContainerRecord) -> None:
        """Free what a run holds (its networks and ports, runtime state and cgroup, the
        rootfs mount); idempotent."""
        if self.networking is not None:
            await self.networking.end_run(record)
        rootfs = self.context.paths(record.id).rootfs
        results = await asyncio.gather(
            self.runtime.delete(record.id, force=True),
            asyncio.to_thread(self.mounter.unmount, rootfs),
            return_exceptions=True,
        )
        for failure in (r for r in results if isinstance(r, BaseException)):
            log.warning("cleaning up container %s: %s", record.short_id, failure)
        self.runtime.cleanup(record.id)

    def holds_resources(self, record: ContainerRecord) -> bool:
        """Whether an ended run still holds runtime state or a mounted rootfs."""
        rootfs = self.context.paths(record.id).rootfs
        return self.runtime.has_state(record.id) or self.mounter.is_mounted(rootfs)
