"""Relays one `docker attach` session: output to the client, its input to the container's stdin.

When the session ends follows moby (container/stream/attach.go): the client's EOF closes
the container's stdin and the output goes on to the run's end for StdinOnce (`run -i`); it
ends the session for a TTY or a `-d -i` container, whose stdin stays open; without stdin it
means nothing. Detach keys apply to a TTY only. A client that leaves ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from tuibox.engine.api.streams import HijackedConnection
from tuibox.engine.domain.detach_keys import DetachScanner
from tuibox.engine.domain.errors import Conflict
from tuibox.engine.services.containers.stdin import StdinHub


class InputEnd(enum.Enum):
    """How the client's input ended, and so what becomes of the session."""

    KEEP_OUTPUT = "stdin ended; output goes on to the run's end"
    END_SESSION = "the session ends; the container's stdin stays open"
    DETACHED = "the client typed the detach keys"


@dataclass
class StdinRelay:
    """The client's input bound for a container's stdin."""

    hub: StdinHub
    scanner: DetachScanner | None
    closes_stdin: bool
    """The client's EOF closes the container's stdin (StdinOnce without a TTY)."""

    async def feed(self, input: asyncio.Queue[bytes | None]) -> InputEnd:
        while (data := await input.get()) is not None:
            if self.scanner is not None:
                data = self.scanner.feed(data)
            if data:
                with contextlib.suppress(Conflict):  # its stdin was closed by another client
                    await self.hub.write(data)
            if self.scanner is not None and self.scanner.detached:
                return InputEnd.DETACHED
        if self.closes_stdin:
            self.hub.end_input()
            return InputEnd.KEEP_OUTPUT
        return InputEnd.END_SESSION


async def _discard(input: asyncio.Queue[bytes | None]) -> InputEnd:
    """Input from a client attached without stdin, read so it does not pile up."""
    while await input.get() is not None:
        pass
    return InputEnd.KEEP_OUTPUT


async def relay_attach(
    connection: HijackedConnection, chunks: AsyncIterator[bytes], stdin: StdinRelay | None
) -> bool:
    """Relay until the output ends, the client leaves, or its input ends the session.

    Returns:
        Whether the client detached with the detach keys.
    """
    pump = asyncio.create_task(connection.pump(chunks))
    gone = asyncio.create_task(connection.closed.wait())
    feed = asyncio.create_task(
        stdin.feed(connection.input) if stdin is not None else _discard(connection.input)
    )
    waiting: set[asyncio.Future[Any]] = {pump, gone, feed}
    try:
        while True:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if pump in done or gone in done:
                return False
            ended = feed.result()
            if ended is not InputEnd.KEEP_OUTPUT:
                return ended is InputEnd.DETACHED
            waiting.discard(feed)
    finally:
        for task in (gone, feed):
            task.cancel()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
