"""Pilot harness: runs TuiboxApp on the FakeEngineClient and waits on workers, not sleeps."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field

import pytest
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tests.conftest import FakeEngineClient, MakeApp
from tuibox.app import TuiboxApp

LONG_LIVED_GROUPS = {"supervisor", "logs", "stats"}
"""Workers that run until stopped: never waited for."""


@dataclass
class Session:
    """A running app under Pilot, with its fake engine and every message it handled."""

    app: TuiboxApp
    pilot: Pilot[None]
    fake: FakeEngineClient
    messages: list[Message] = field(default_factory=list)

    @property
    def notifications(self) -> list[Notification]:
        """Every notification raised so far."""
        return [m.notification for m in self.messages if isinstance(m, Notify)]

    async def settle(self) -> None:
        """Let key handlers run, then wait for the short-lived workers they started."""
        await self.pilot.pause()
        for _ in range(3):
            workers = [
                worker for worker in self.app.workers
                if worker.group not in LONG_LIVED_GROUPS
                and worker.is_running
            ]
            if not workers:
                break
            with suppress(WorkerCancelled):
                await self.app.workers.wait_for_complete(workers)
            await self.pilot.pause()

    async def press(self, *keys: str) -> None:
        """Press keys, then settle."""
        await self.pilot.press(*keys)
        await self.settle()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Poll a condition with a deadline (for streams and timers)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await self.pilot.pause(0.02)


RunApp = Callable[..., AbstractAsyncContextManager[Session]]


@pytest.fixture
def run_app(make_app: MakeApp, fake_client: FakeEngineClient) -> RunApp:
    """Start the app on the fake engine: `async with run_app() as session:`."""

    @asynccontextmanager
    async def run(**kwargs: object) -> AsyncIterator[Session]:
        app = make_app(**kwargs)
        messages: list[Message] = []
        async with app.run_test(size=(120, 36), message_hook=messages.append) as pilot:
            session = Session(app, pilot, fake_client, messages)
            await session.settle()
            yield session

    return run
