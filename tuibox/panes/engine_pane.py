"""Provides EnginePane: the base of the list panes (polling, actions, reporting failures up)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from textual import on
from textual.containers import Vertical
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import ActionFailed, WorkerCrashed
from tuibox.widgets.visibility import is_shown


class EnginePane(Vertical):
    """A pane that polls the engine every `poll_interval` and runs actions on what is selected.

    Subclasses implement fetch_and_show(), and post EngineReached or PollFailed with its
    outcome. Polling never cancels a poll in flight: a tick that finds one running is
    skipped, and a refresh asked for meanwhile (after an action) runs once that poll ends,
    so a slow engine still fills the pane. Actions run in their own non-exclusive workers,
    queued per object, so every requested action completes and reports (an exclusive worker
    per object would let `S` then `d` cancel the stop). An EngineError is posted up as
    ActionFailed, which the app shows with the engine's own message; any other failure is
    posted up as WorkerCrashed, which the app shows in its ErrorModal.
    """

    def __init__(
        self,
        client: EngineClientProtocol,
        *,
        clock: Callable[[], float],
        poll_interval: float,
        id: str | None = None,
    ) -> None:
        """Build the pane.

        Args:
            client: How the pane reaches the engine.
            clock: The current Unix time, for the ages shown.
            poll_interval: Seconds between two polls (a subclass may poll less often).
            id: The widget ID.
        """
        super().__init__(id=id)
        self.client = client
        self.clock = clock
        self._poll_interval = poll_interval
        self._poll_worker: Worker[None] | None = None
        self._refresh_again = False
        self._action_locks: dict[str, asyncio.Lock] = {}
        self._actions_waiting: dict[str, int] = {}

    @property
    def poll_interval(self) -> float:
        """Seconds between two polls of this pane."""
        return self._poll_interval

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
        """The timer's poll: skipped while the previous one still waits for the engine, and
        while another screen covers this one (Textual would repaint the cover for every
        change below it); the screen polls at once when it is back on top."""
        if not self.is_polling and is_shown(self.screen):
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

    async def _report_action(self, failure_title: str, call: Callable[[], Awaitable[str]]) -> None:
        try:
            message = await call()
        except EngineError as err:
            self.post_message(ActionFailed(failure_title, err))
            return
        if message:
            self.notify(message, markup=False)
        self.refresh_now()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Post a failed worker up to the app (Textual's worker messages do not bubble)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))
