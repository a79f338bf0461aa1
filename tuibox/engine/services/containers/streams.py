"""Provides ContainerStreams: waiting on containers and reading their output."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.events import EventBus, container_event
from tuibox.engine.runtime.logs import LogRecord, log_offset, read_log
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.stdin import StdinHub, StdinHubs

__all__ = ["ContainerStreams", "ContainerWaiter", "LogQuery", "LogRecord"]

WAIT_CONDITIONS = {"not-running", "next-exit", "removed"}
RESIZE_SPACING = 0.02
"""conmon 2.1.6 takes only the first line of a read of its ctl FIFO: space the writes."""


@dataclass(frozen=True)
class LogQuery:
    """What `docker logs` asked for."""

    stdout: bool
    stderr: bool
    follow: bool
    tail: int | None
    since_ns: int
    until_ns: int | None


class ContainerWaiter:
    """A subscription to one container's end; close it however the wait ends.

    A removal also ends every wait: a container that is gone will not exit again.
    """

    def __init__(self, bus: EventBus, record: ContainerRecord, condition: str) -> None:
        self.bus = bus
        self.record = record
        self.condition = condition
        actions = {"destroy"} if condition == "removed" else {"die", "destroy"}
        self.queue = bus.subscribe(container_event(record.id, actions))

    async def exit_code(self) -> int:
        if self.condition == "not-running" and not self.record.state.running:
            return self.record.state.exit_code
        event = await self.queue.get()
        return event.exit_code if event.exit_code is not None else self.record.state.exit_code

    def close(self) -> None:
        self.bus.unsubscribe(self.queue)


class ContainerStreams:
    """Wait, logs and attach for the containers of a ContainerContext."""

    def __init__(self, context: ContainerContext, runtime: Runtime, hubs: StdinHubs) -> None:
        self.context = context
        self.runtime = runtime
        self.hubs = hubs
        self._resizing = asyncio.Lock()

    def wait(self, given: str, condition: str) -> ContainerWaiter:
        """Subscribe now (before any start the client sends next); the waiter gives the code.

        Raises:
            NotFound: no such container.
            InvalidArgument: an unknown condition.
        """
        if condition not in WAIT_CONDITIONS:
            raise InvalidArgument(f'invalid condition: "{condition}"')
        record = self.context.lookup(given)
        return ContainerWaiter(self.context.events, record, condition)

    def logs(self, given: str, query: LogQuery) -> AsyncGenerator[LogRecord, None]:
        """Check the request now, then yield the log records `docker logs` selects.

        Raises:
            NotFound: no such container.
            InvalidArgument: neither stdout nor stderr was asked for.
        """
        if not (query.stdout or query.stderr):
            raise InvalidArgument("Bad parameters: you must choose at least one stream")
        record = self.context.lookup(given)
        return self._log_records(record.id, query)

    async def _log_records(
        self, container_id: str, query: LogQuery
    ) -> AsyncGenerator[LogRecord, None]:
        path = self.context.paths(container_id).log
        async with self._exit_signal(container_id, follow=query.follow) as exited:
            records = read_log(path, follow=query.follow, exited=exited, tail=query.tail)
            async for entry in records:
                if not _wanted(entry, query):
                    continue
                if query.until_ns is not None and entry.time_ns > query.until_ns:
                    break
                yield entry

    def attach(self, given: str, *, replay: bool = False) -> AsyncIterator[LogRecord]:
        """Note the log's end now (its start with `replay`); yield from there to the run's end.

        Raises:
            NotFound: no such container.
        """
        record = self.context.lookup(given)
        path = self.context.paths(record.id).log
        return self._attached_records(record.id, path, 0 if replay else log_offset(path))

    async def _attached_records(
        self, container_id: str, path: Path, start: int
    ) -> AsyncIterator[LogRecord]:
        async with (
            self.context.reader(container_id),
            self._exit_signal(container_id, follow=True, until_next_exit=True) as exited,
        ):
            async for entry in read_log(path, follow=True, exited=exited, start_offset=start):
                yield entry

    async def stdin(self, given: str) -> StdinHub | None:
        """The stdin an attached client writes to; None for a container without -i.

        Raises:
            NotFound: no such container.
        """
        record = self.context.lookup(given)
        if not record.config.get("OpenStdin"):
            return None
        return await self.hubs.reconnect(record, self.context.paths(record.id).bundle)

    def stdin_once(self, given: str) -> bool:
        """Whether the first stdin client's EOF closes the container's stdin (`run -i`)."""
        config = self.context.lookup(given).config
        return bool(config.get("StdinOnce")) and not config.get("Tty")

    async def resize(self, given: str, height: int, width: int) -> None:
        """Resize a running container's terminal (POST /containers/{id}/resize).

        Raises:
            NotFound: no such container.
            Conflict: it is not running (Docker's words).
            InvalidArgument: it has no terminal (created without -t).
        """
        record = self.context.lookup(given)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        if not record.config.get("Tty"):
            raise InvalidArgument(
                f"container {given} has no terminal to resize: it was created without -t"
            )
        async with self._resizing:
            await self.runtime.resize(record.id, self.context.paths(record.id).bundle,
                                      height, width)  # fmt: skip
            await asyncio.sleep(RESIZE_SPACING)
        self.context.publish(record, "resize", height=str(height), width=str(width))

    def detached(self, given: str) -> None:
        """An attached client left with the detach keys (the detach event, as dockerd's)."""
        record = self.context.records.get(given) or self.context.lookup(given)
        self.context.publish(record, "detach")

    @contextlib.asynccontextmanager
    async def _exit_signal(
        self, container_id: str, *, follow: bool, until_next_exit: bool = False
    ) -> AsyncIterator[asyncio.Event]:
        """An event set when the container's run ends (at once if it is not running)."""
        exited = asyncio.Event()
        record = self.context.records.get(container_id)
        running = record is not None and record.state.running
        if not follow or (not running and not until_next_exit):
            exited.set()
            yield exited
            return
        bus = self.context.events
        queue = bus.subscribe(container_event(container_id, {"die", "destroy"}))

        async def set_on_exit() -> None:
            await queue.get()
            exited.set()

        task = asyncio.get_running_loop().create_task(set_on_exit())
        try:
            yield exited
        finally:
            task.cancel()
            bus.unsubscribe(queue)


def _wanted(entry: LogRecord, query: LogQuery) -> bool:
    if entry.stream == "stdout" and not query.stdout:
        return False
    if entry.stream == "stderr" and not query.stderr:
        return False
    return entry.time_ns >= query.since_ns
