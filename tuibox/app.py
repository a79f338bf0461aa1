"""Provides TuiboxApp: composes the screens and turns what they report into what the user sees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from tuibox import partial_output
from tuibox.client.errors import EngineError, EngineUnavailableError
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import (
    ActionFailed,
    EngineConnectionChanged,
    EngineReached,
    EngineStatusChanged,
    PollFailed,
    WorkerCrashed,
)
from tuibox.screens.error import ErrorModal
from tuibox.screens.main import MainScreen
from tuibox.screens.pull_prompt import PullPrompt
from tuibox.screens.transfer_dialog import pull_dialog
from tuibox.stats_feed import StatsFeed
from tuibox.supervisor import EngineState, EngineStatus, EngineSupervisor
from tuibox.widgets.engine_header import Badge, EngineView
from tuibox.widgets.format import first_line


class TuiboxApp(App[None]):
    """The tuibox TUI: lists and acts on one engine's containers, images and registries.

    It reaches the engine only through `client`, which it hands down to MainScreen (and so
    to the panes) with the clock and the poll interval. It owns the one StatsFeed, runs it
    in a worker for as long as it lives (group "stats") and hands it down the same way: the
    header, the containers pane and the overview read their figures from it. The panes and
    screens report up in messages (EngineReached, PollFailed, ActionFailed, WorkerCrashed)
    that the app turns into the header's state, notifications and ErrorModals. With a
    `supervisor` it also owns the local engine process: it runs the supervisor as a worker
    and stops it on quit.
    """

    CSS_PATH = "tuibox.tcss"
    TITLE = "tuibox"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("e", "show_engine_problem", "Why the engine is not up", show=False),
        Binding("P", "pull_image", "Pull an image", show=False),
    ]
    """Quit from anywhere (Ctrl+Q too); e shows the full reason the engine is down; P pulls
    (every pane prunes with X, so P is free everywhere)."""

    engine_view: reactive[EngineView] = reactive(EngineView, always_update=False)
    """What the header shows about the engine."""

    def __init__(
        self,
        client: EngineClientProtocol,
        supervisor: EngineSupervisor | None = None,
        *,
        host_label: str = "",
        clock: Callable[[], float] = time.time,
        poll_interval: float = 1.0,
        exit_on_signals: Sequence[int] = (),
    ) -> None:
        """Build the app.

        Args:
            client: How the app reaches the engine.
            supervisor: Runs the local engine, when tuibox started it.
            host_label: The engine's address, shown in the header.
            clock: The current Unix time (tests freeze it).
            poll_interval: Seconds between two refreshes of a list.
            exit_on_signals: Signals (SIGTERM, SIGHUP) that quit the app as `q` does, so
                the engine this app started is stopped with it.
        """
        super().__init__()
        partial_output.install()
        self.client = client
        self.supervisor = supervisor
        self.host_label = host_label
        self.clock = clock
        self.poll_interval = poll_interval
        self.exit_on_signals = tuple(exit_on_signals)
        self._supervisor_status: EngineStatus | None = None
        self._identity = ""
        self._lost_reason = ""
        self._last_poll_error = ""
        self._main_screen: MainScreen | None = None
        self.feed = StatsFeed(client, clock)
        """The figures every screen shows, from one stats stream."""
        self.engine_view = EngineView(host=host_label)

    def get_default_screen(self) -> Screen[None]:
        """The lists."""
        self._main_screen = MainScreen(
            self.client,
            feed=self.feed,
            clock=self.clock,
            poll_interval=self.poll_interval,
            engine_view=self.engine_view,
        )
        return self._main_screen

    def watch_engine_view(self, view: EngineView) -> None:
        """Hand the new engine state down to the header."""
        if self._main_screen is not None:
            self._main_screen.show_engine_view(view)

    def on_mount(self) -> None:
        """Start the supervisor (if any) and the stats feed, and find out which engine this is."""
        loop = asyncio.get_running_loop()
        for signum in self.exit_on_signals:
            loop.add_signal_handler(signum, self._quit_on_signal, signum)
        if self.supervisor is not None:
            self.supervisor.on_change = self._post_engine_status
            self.run_worker(self.supervisor.run(), group="supervisor", exit_on_error=False)
        self.run_worker(self.feed.run(), name="stats feed", group="stats", exit_on_error=False)
        self.identify_engine()

    def _quit_on_signal(self, signum: int) -> None:
        self.log.info(f"signal {signum}: quitting")
        self._remove_signal_handlers()
        self.call_later(self.action_quit)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self.exit_on_signals:
            loop.remove_signal_handler(signum)

    def on_unmount(self) -> None:
        """Give the signals back."""
        self._remove_signal_handlers()

    def _post_engine_status(self, status: EngineStatus) -> None:
        self.post_message(EngineStatusChanged(status))

    @work(exclusive=True, group="identify", exit_on_error=False)
    async def identify_engine(self) -> None:
        """Ping the engine and read /version to name it in the header."""
        try:
            ping = await self.client.ping()
            version = await self.client.version()
        except EngineError as err:
            self.report_poll_error(err)
            return
        api = ping.api_version or "?"
        self._identity = f"{version.display_name} · API {api}"
        self.report_reachable()
        self._update_view()

    def _update_view(self) -> None:
        status = self._supervisor_status
        view = EngineView(host=self.host_label, identity=self._identity)
        if status is not None and status.state is not EngineState.UP:
            badge: Badge = status.state.value  # type: ignore[assignment]
            view = EngineView(badge, view.identity, view.host, first_line(status.reason))
        elif self._lost_reason:
            view = EngineView("lost", view.identity, view.host, self._lost_reason)
        elif self._identity:
            view = EngineView("up", view.identity, view.host)
        self.engine_view = view
        self.set_class(view.is_down, "-engine-down")

    @on(EngineStatusChanged)
    def _on_engine_status_changed(self, message: EngineStatusChanged) -> None:
        self._supervisor_status = message.status
        if message.status.state is EngineState.UP:
            self._lost_reason = ""
            self.identify_engine()
        elif message.status.state is EngineState.DOWN:
            self.notify(
                f"{message.status.reason}\nPress e for the details.",
                title="Engine down",
                severity="error",
                timeout=60,
                markup=False,
            )
        self._update_view()

    @property
    def supervisor_gave_up(self) -> bool:
        """Whether the supervisor reported the engine down for good."""
        status = self._supervisor_status
        return status is not None and status.state is EngineState.DOWN

    @on(EngineConnectionChanged)
    def _on_engine_connection_changed(self, message: EngineConnectionChanged) -> None:
        was_unreachable = bool(self._lost_reason) or self.supervisor_gave_up
        self._lost_reason = message.lost_reason
        if not message.lost_reason:
            self._last_poll_error = ""
            if self.supervisor_gave_up:
                self._supervisor_status = None  # an engine answers again after all
            if was_unreachable or not self._identity:
                self.identify_engine()
        self._update_view()

    def report_reachable(self) -> None:
        """Note that a call reached the engine (clears a lost or down header)."""
        if self._lost_reason or not self._identity or self.supervisor_gave_up:
            self.post_message(EngineConnectionChanged(""))

    def report_poll_error(self, error: EngineError) -> None:
        """Show a failed background refresh: in the header if the engine is gone, else once."""
        if isinstance(error, EngineUnavailableError):
            if error.message != self._lost_reason:
                self.post_message(EngineConnectionChanged(error.message))
            return
        if error.message != self._last_poll_error:
            self._last_poll_error = error.message
            self.notify(error.message, title="Engine error", severity="error", markup=False)

    def report_action_error(self, title: str, error: EngineError) -> None:
        """Show an action the engine refused, with the engine's own message."""
        self.notify(error.message, title=title, severity="error", markup=False)
        if isinstance(error, EngineUnavailableError):
            self.post_message(EngineConnectionChanged(error.message))

    @property
    def error_modal_open(self) -> bool:
        """Whether an ErrorModal is on the screen stack."""
        return any(isinstance(screen, ErrorModal) for screen in self.screen_stack)

    def report_worker_state(self, event: Worker.StateChanged) -> None:
        """Show the failure of one of the app's own workers (see report_worker_failure)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_worker_failure(event.worker.name, event.worker.error)

    def report_worker_failure(self, worker_name: str, error: BaseException) -> None:
        """Show an unexpected worker failure in an ErrorModal instead of crashing.

        While one ErrorModal is open, later failures are only logged, so a failure that
        repeats on every poll does not stack up boxes.
        """
        if self.error_modal_open:
            self.log.error(f"{worker_name} failed: {error!r}")
            return
        self.push_screen(
            ErrorModal(
                "Unexpected error",
                f"{worker_name or 'A background task'} failed. tuibox keeps running;"
                " please report this with the details below.",
                error,
            )
        )

    @on(Worker.StateChanged)
    def _on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event)

    @on(EngineReached)
    def _on_engine_reached(self) -> None:
        self.report_reachable()

    @on(PollFailed)
    def _on_poll_failed(self, message: PollFailed) -> None:
        self.report_poll_error(message.error)

    @on(ActionFailed)
    def _on_action_failed(self, message: ActionFailed) -> None:
        self.report_action_error(message.title, message.error)

    @on(WorkerCrashed)
    def _on_worker_crashed(self, message: WorkerCrashed) -> None:
        self.report_worker_failure(message.worker_name, message.error)

    def action_show_engine_problem(self) -> None:
        """Open the full reason the engine is not up (its exit code and last stderr lines)."""
        status = self._supervisor_status
        if status is not None and status.state is not EngineState.UP and status.details:
            headline, details = first_line(status.reason), status.details
        elif self._lost_reason:
            headline, details = self._lost_reason, self._lost_reason
        else:
            self.notify("The engine is up; there is no problem to show.", markup=False)
            return
        if not self.error_modal_open:
            self.push_screen(ErrorModal("Engine problem", headline, details))

    def action_pull_image(self) -> None:
        """Ask for an image (and platform), then pull it in the progress dialog."""
        if isinstance(self.screen, ModalScreen):
            return  # over a dialog, P is not for pulling

        def on_answer(answer: tuple[str, str | None] | None) -> None:
            if answer is not None:
                self.push_screen(pull_dialog(self.client, *answer))

        self.push_screen(PullPrompt(), on_answer)

    async def action_quit(self) -> None:
        """Stop the engine this app started, close the connection, and exit."""
        if self.supervisor is not None:
            await self.supervisor.stop()
        await self.client.close()
        self.exit()
