"""Provides StdinHubs: the engine's one connection to each interactive run's stdio.

A container created with -i or -t has its stdin behind the monitor's attach socket. The
engine holds one connection per run, made between create and start, and fans the attached
Docker clients' input into it, so the engine alone decides when stdin ends: at the first
stdin client's EOF for StdinOnce (`run -i`), never for a TTY or a `-d -i` container.
Output reaches Docker clients through the log, as it does for every container; the hub
reads the socket all the time only so the monitor never stalls on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import Conflict, RuntimeFailure
from tuibox.engine.runtime.protocol import NO_STDIN, AttachStream, Runtime, Stdio

log = logging.getLogger(__name__)


def stdio_of(record: ContainerRecord) -> Stdio:
    """How the record's runs wire stdin, from its Tty, OpenStdin and StdinOnce."""
    config = record.config
    if config.get("Tty"):
        return Stdio(terminal=True, stdin=bool(config.get("OpenStdin")))
    if config.get("OpenStdin"):
        return Stdio(stdin=True, stdin_once=bool(config.get("StdinOnce")))
    return NO_STDIN


class StdinHub:
    """One container's stdin across its runs: input waits for the next run's connection."""

    def __init__(self, stdio: Stdio) -> None:
        self.stdio = stdio
        self.channel: AttachStream | None = None
        self.connected = asyncio.Event()
        self.input_ended = False
        """StdinOnce: the run's stdin was closed (or will be, as soon as it connects)."""
        self._drain: asyncio.Task[None] | None = None
        self._writing = 0
        """Writes under way: an EOF waits for them, as it comes after them."""

    def attach(self, channel: AttachStream) -> None:
        """Take the new run's connection; input held back for it flows now."""
        self.channel = channel
        self._drain = asyncio.get_running_loop().create_task(self._read_all(channel))
        if self.input_ended and not self._writing:
            channel.close_input()
        self.connected.set()

    async def _read_all(self, channel: AttachStream) -> None:
        try:
            async for _ in channel.records():
                pass
        finally:
            channel.close()
            if self.channel is channel:  # the run ended; the next one starts afresh
                self.channel = None
                self.connected.clear()
                self.input_ended = False

    async def write(self, data: bytes) -> None:
        """Bytes for the container's stdin, now or once its run has started; an EOF asked
        for meanwhile waits for them.

        Raises:
            Conflict: its stdin was closed already (StdinOnce), or the run ended.
        """
        if self.input_ended:
            raise Conflict("the container's stdin is closed")
        self._writing += 1
        try:
            await self.connected.wait()
            channel = self.channel
            if channel is None:
                raise Conflict("the container's run ended")
            try:
                await channel.send(data)
            except RuntimeFailure as err:
                raise Conflict(f"the container's run ended: {err}") from err
        finally:
            self._writing -= 1
            if self.input_ended and not self._writing and self.channel is not None:
                self.channel.close_input()

    def end_input(self) -> None:
        """A stdin client's EOF: closes stdin for StdinOnce, means nothing otherwise."""
        if not self.stdio.stdin_once or self.stdio.terminal or self.input_ended:
            return
        self.input_ended = True
        if self.channel is not None and not self._writing:
            self.channel.close_input()

    def close(self) -> None:
        if self._drain is not None:
            self._drain.cancel()
        if self.channel is not None:
            self.channel.close()
            self.channel = None


class StdinHubs:
    """The hubs of every interactive container of an engine, made as they are first needed."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.hubs: dict[str, StdinHub] = {}

    def get(self, record: ContainerRecord) -> StdinHub | None:
        """The container's hub, None when it was created without -i or -t."""
        stdio = stdio_of(record)
        if stdio == NO_STDIN:
            return None
        hub = self.hubs.get(record.id)
        if hub is None:
            hub = self.hubs[record.id] = StdinHub(stdio)
        return hub

    async def connect(self, record: ContainerRecord, bundle: Path) -> None:
        """Connect to a created run's monitor (before start, so no input or EOF is lost).

        Raises:
            RuntimeFailure: the monitor has no attach socket.
        """
        hub = self.get(record)
        if hub is not None:
            hub.attach(await self.runtime.attach(record.id, bundle))

    async def reconnect(self, record: ContainerRecord, bundle: Path) -> StdinHub | None:
        """The hub of a running container, connected again if this engine has not yet
        (a container that outlived an earlier engine)."""
        hub = self.get(record)
        if hub is None or hub.channel is not None or not record.state.running:
            return hub
        try:
            hub.attach(await self.runtime.attach(record.id, bundle))
        except RuntimeFailure as err:
            log.warning("cannot reach the stdin of %s: %s", record.short_id, err)
        return hub

    def forget(self, container_id: str) -> None:
        """Drop a removed container's hub."""
        hub = self.hubs.pop(container_id, None)
        if hub is not None:
            with contextlib.suppress(RuntimeError):
                hub.close()
