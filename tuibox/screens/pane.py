"""Provides EnginePane: the base of the list panes (polling, actions, error routing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.containers import Vertical
from textual.worker import Worker

from tuibox.client.errors import EngineError

if TYPE_CHECKING:
    from tuibox.app import TuiboxApp


class EnginePane(Vertical):
    """A pane that polls the engine once a second and runs actions on what is selected.

    Subclasses implement refresh_now() as an exclusive worker. Actions run one worker per
    object (group "action-<id>"); an EngineError becomes a notification with the engine's
    own message, and any other failure is shown by the app's ErrorModal.
    """

    @property
    def tuibox(self) -> TuiboxApp:
        """The app, typed."""
        return cast("TuiboxApp", self.app)

    def on_mount(self) -> None:
        """Load now, then poll."""
        self.refresh_now()
        self.set_interval(self.tuibox.poll_interval, self.refresh_now)

    def refresh_now(self) -> Any:
        """Fetch this pane's objects and show them (a worker in subclasses)."""
        raise NotImplementedError

    def run_engine_action(
        self,
        object_id: str,
        failure_title: str,
        call: Callable[[], Awaitable[str]],
    ) -> None:
        """Run one engine call for `object_id` in the background and report how it went.

        Args:
            object_id: The container or image acted on (names the worker group).
            failure_title: The notification title when the engine refuses.
            call: Makes the call and returns the success message ("" for none).
        """

        async def act() -> None:
            try:
                message = await call()
            except EngineError as err:
                self.tuibox.report_action_error(failure_title, err)
                return
            if message:
                self.notify(message, markup=False)
            self.refresh_now()

        self.run_worker(
            act(), group=f"action-{object_id}", exclusive=True, exit_on_error=False
        )

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Hand failed workers to the app (worker messages do not bubble)."""
        self.tuibox.report_worker_state(event)
