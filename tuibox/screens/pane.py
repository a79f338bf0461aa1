"""Provides EnginePane: the base of the list panes (polling, actions, error routing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from textual import on
from textual.containers import Vertical
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError

if TYPE_CHECKING:
    from tuibox.app import TuiboxApp


class EnginePane(Vertical):
    """A pane that polls the engine once a second and runs actions on what is selected.

    Subclasses implement fetch_and_show(). Polling never cancels a poll in flight: a tick
    that finds one running is skipped, and a refresh asked for meanwhile (after an action)
    runs once that poll ends, so a slow engine still fills the pane. Actions run in their
    own non-exclusive workers, queued per object, so every requested action completes and
    reports (STYLE.md's exclusive action workers let `S` then `d` cancel the stop); an
    EngineError becomes a notification with the engine's own message, and any
    other failure is shown by the app's ErrorModal.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._poll_worker: Worker[None] | None = None
        self._refresh_again = False
        self._action_locks: dict[str, asyncio.Lock] = {}
        self._actions_waiting: dict[str, int] = {}

    @property
    def tuibox(self) -> TuiboxApp:
        """The app, typed."""
        return cast("TuiboxApp", self.app)

    @property
    def poll_interval(self) -> float:
        """Seconds between two polls of this pane."""
        return self.tuibox.poll_interval

    def on_mount(self) -> None:
        """Load now, then poll."""
        self.refresh_now()
        self.set_interval(self.poll_interval, self.poll_tick)

    @property
    def is_polling(self) -> bool:
        """Whether a fetch is in flight."""
        worker = self._poll_worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def poll_tick(self) -> None:
        """The timer's poll: skipped while the previous one is still waiting for the engine."""
        if not self.is_polling:
            self.refresh_now()

    def refresh_now(self) -> None:
        """Fetch and show now, or right after the fetch in flight (which is never cancelled)."""
        if self.is_polling:
            self._refresh_again = True
            return
        self._poll_worker = self.run_worker(
            self._poll(), group=f"poll-{self.id}", exit_on_error=False
        )

    async def _poll(self) -> None:
        self._refresh_again = True
        while self._refresh_again:
            self._refresh_again = False
            await self.fetch_and_show()

    async def fetch_and_show(self) -> None:
        """Fetch this pane's objects from the engine and show them (in subclasses)."""
        raise NotImplementedError

    def run_engine_action(
        self,
        object_id: str,
        failure_title: str,
        call: Callable[[], Awaitable[str]],
    ) -> None:
        """Run one engine call for `object_id` in the background and report how it went.

        Calls on the same object run one after the other, in the order asked; none is
        cancelled by a later one.

        Args:
            object_id: The container or image acted on (names the worker group).
            failure_title: The notification title when the engine refuses.
            call: Makes the call and returns the success message ("" for none).
        """
        lock = self._action_locks.setdefault(object_id, asyncio.Lock())
        self._actions_waiting[object_id] = self._actions_waiting.get(object_id, 0) + 1

        async def act() -> None:
            try:
                async with lock:
                    await self._report_action(failure_title, call)
            finally:
                self._actions_waiting[object_id] -= 1
                if not self._actions_waiting[object_id]:
                    del self._actions_waiting[object_id]
                    self._action_locks.pop(object_id, None)

        self.run_worker(act(), group=f"action-{object_id}", exit_on_error=False)

    async def _report_action(
        self, failure_title: str, call: Callable[[], Awaitable[str]]
    ) -> None:
        try:
            message = await call()
        except EngineError as err:
            self.tuibox.report_action_error(failure_title, err)
            return
        if message:
            self.notify(message, markup=False)
        self.refresh_now()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Hand failed workers to the app (worker messages do not bubble)."""
        self.tuibox.report_worker_state(event)
