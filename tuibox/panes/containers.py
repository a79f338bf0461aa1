"""Provides ContainersPane: the container list with live figures, and its action keys."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary
from tuibox.client.protocol import Bridge, EngineClientProtocol
from tuibox.client.stats_models import StatsBatch
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.bulk import run_on_marked
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.choice import ChoiceModal
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.container import ContainerScreen
from tuibox.screens.name_prompt import NamePrompt
from tuibox.screens.signal_picker import SignalPicker
from tuibox.stats_feed import StatsFeed
from tuibox.widgets.container_table import ContainerTable
from tuibox.widgets.visibility import is_shown


class ContainersPane(EnginePane):
    """All containers, running or not, newest first, with CPU and memory of the running ones.

    The list comes from polling the engine; the figures from the app's StatsFeed, applied
    to the last list with every batch, so only the cells whose text changed are redrawn.
    While the pane is the one shown (`announcing`), it tells the feed which containers are
    in the table's window, so engines without a batched stream follow only those.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start_container", "Start"),
        Binding("S", "stop_container", "Stop"),
        Binding("R", "restart_container", "Restart"),
        Binding("d", "delete_container", "Delete"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("K", "kill_container", "Kill"),
        Binding("n", "rename_container", "Rename"),
        Binding("x", "shell", "Shell"),
        Binding("a", "attach", "Attach"),
        Binding("l", "show_logs", "Logs"),
        Binding("enter", "open_container", "Details", key_display="Enter", show=False),
        Binding("space", "toggle_mark", "Mark/unmark", key_display="Space", show=False),
        Binding("escape", "clear_marks", "Clear marks", key_display="Esc", show=False),
    ]
    """Actions on the selected container, or on every marked one for s S R d p K (the table
    takes Enter first: see _on_row_selected)."""

    def __init__(
        self,
        client: EngineClientProtocol,
        *,
        feed: StatsFeed,
        clock: Callable[[], float],
        poll_interval: float,
        id: str | None = None,
    ) -> None:
        """Build the pane.

        Args:
            client: How the pane reaches the engine.
            feed: The app's stats feed, for the CPU and memory columns.
            clock: The current Unix time, for the ages shown.
            poll_interval: Seconds between two polls of the list.
            id: The widget ID.
        """
        super().__init__(client, clock=clock, poll_interval=poll_interval, id=id)
        self.feed = feed
        self.announcing = True
        """Whether this pane says what is visible (the main screen turns it off when hidden)."""
        self._containers: list[ContainerSummary] = []
        self._announced: set[str] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.shells: dict[str, str] = {}
        """The shell chosen per image (asked once)."""
        self.run_in_terminal: Callable[[App[object], Bridge], bool] = run_suspended
        """Runs a terminal bridge with the TUI suspended; tests hand in a fake."""

    def compose(self) -> ComposeResult:
        """The table."""
        yield ContainerTable(id="containers-table")

    def on_mount(self) -> None:
        """Poll the list, follow the feed, and watch the table's scrolling."""
        super().on_mount()
        self._unsubscribe = self.feed.subscribe(self._on_batch)
        self.watch(self.query_one(ContainerTable), "scroll_y", self._on_scroll, init=False)

    def on_unmount(self) -> None:
        """Stop following the feed."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_batch(self, batch: StatsBatch) -> None:
        """New figures: update the CPU and memory cells of the rows in sight, in place."""
        if self._containers and is_shown(self.screen):  # a covered screen waits
            self._update_visible_figures()

    def _on_scroll(self, scroll_y: float) -> None:
        self._update_visible_figures()
        self.announce_visible()

    def on_resize(self) -> None:
        """Another window size shows other rows."""
        self._update_visible_figures()
        self.announce_visible()

    def _show(self) -> None:
        table = self.query_one(ContainerTable)
        table.show(self._containers, self.clock(), self.feed.recent, set(table.visible_keys()))

    def _update_visible_figures(self) -> None:
        table = self.query_one(ContainerTable)
        table.update_figures(self.feed.recent, table.visible_keys())

    def visible_running_ids(self) -> set[str]:
        """The running containers whose rows are in the table's window."""
        table = self.query_one(ContainerTable)
        running = {c.id for c in self._containers if c.is_running}
        return {key for key in table.visible_keys() if key in running}

    def announce_visible(self, force: bool = False) -> None:
        """Tell the feed which running containers are visible, when that changed (or `force`)."""
        if not self.announcing or not self.is_mounted:
            return
        visible = self.visible_running_ids()
        if force or visible != self._announced:
            self._announced = visible
            self.feed.watch(visible)

    @property
    def selected(self) -> ContainerSummary | None:
        """The container under the cursor."""
        return self.query_one(ContainerTable).selected_item

    async def fetch_and_show(self) -> None:
        """Fetch the containers and update the table in place."""
        try:
            containers = await self.client.list_containers(all=True)
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        self._containers = containers
        self._show()
        self.announce_visible()

    def _require_selection(self) -> ContainerSummary | None:
        container = self.selected
        if container is None:
            self.notify("No container selected.", severity="warning")
        return container

    @property
    def table(self) -> ContainerTable:
        """The containers table."""
        return self.query_one(ContainerTable)

    def action_toggle_mark(self) -> None:
        """Mark the selected container (or unmark it) and move to the next row."""
        if (container := self._require_selection()) is None:
            return
        table = self.table
        table.toggle_mark(container.id)
        table.action_cursor_down()

    def action_clear_marks(self) -> None:
        """Unmark every container."""
        self.table.clear_marks()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc clears marks only when there are some (else it means what it means above)."""
        if action == "clear_marks":
            return bool(self.is_mounted and self.table.marked)
        return True

    def _on_marked(self, title: str, call: Callable[[ContainerSummary], Awaitable[str]]) -> bool:
        """Run `call` on every marked container and clear the marks; False when none is."""
        marked = self.table.marked_items
        if not marked:
            return False
        self.table.clear_marks()

        async def act() -> None:
            await run_on_marked(self, marked, lambda c: c.name, call, title)
            self.refresh_now()

        self.run_worker(act(), group="marked-action", exit_on_error=False)
        return True

    def action_start_container(self) -> None:
        """Start the selected container (or the marked ones)."""

        async def start_one(container: ContainerSummary) -> str:
            result = await self.client.start(container.id)
            return "already running" if result.already_started else "started"

        if self._on_marked("Start", start_one):
            return
        if (container := self._require_selection()) is None:
            return

        async def start() -> str:
            result = await self.client.start(container.id)
            if result.already_started:
                return f"{container.name} is already running."
            return f"Started {container.name}."

        self.run_engine_action(container.id, "Start failed", start)

    def action_stop_container(self) -> None:
        """Stop the selected container (SIGTERM, then SIGKILL after 10 s), or the marked ones."""

        async def stop_one(container: ContainerSummary) -> str:
            result = await self.client.stop(container.id)
            return "already stopped" if result.already_stopped else "stopped"

        if self._on_marked("Stop", stop_one):
            return
        if (container := self._require_selection()) is None:
            return

        async def stop() -> str:
            result = await self.client.stop(container.id)
            if result.already_stopped:
                return f"{container.name} is already stopped."
            return f"Stopped {container.name}."

        self.notify(f"Stopping {container.name}…", markup=False)
        self.run_engine_action(container.id, "Stop failed", stop)

    def action_restart_container(self) -> None:
        """Restart the selected container (or the marked ones)."""

        async def restart_one(container: ContainerSummary) -> str:
            await self.client.restart(container.id)
            return "restarted"

        if self._on_marked("Restart", restart_one):
            return
        if (container := self._require_selection()) is None:
            return

        async def restart() -> str:
            await self.client.restart(container.id)
            return f"Restarted {container.name}."

        self.run_engine_action(container.id, "Restart failed", restart)

    def action_delete_container(self) -> None:
        """Ask, then delete the selected container (or the marked ones)."""
        if self.table.marked:
            self._delete_marked()
            return
        if (container := self._require_selection()) is None:
            return
        question = f"Delete container {container.name} ({container.id[:12]})?"
        if container.is_running:
            question += "\nIt is running: the engine will refuse until it is stopped."

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def remove() -> str:
                await self.client.remove_container(container.id)
                return f"Deleted {container.name}."

            self.run_engine_action(container.id, "Delete failed", remove)

        self.app.push_screen(ConfirmModal("Delete container", question, "Delete"), on_answer)

    def _delete_marked(self) -> None:
        names = [c.name for c in self.table.marked_items]
        question = f"Delete {len(names)} containers: {', '.join(names)}?"
        if any(c.is_running for c in self.table.marked_items):
            question += "\nThe engine will refuse the running ones until they are stopped."

        async def remove_one(container: ContainerSummary) -> str:
            await self.client.remove_container(container.id)
            return "deleted"

        def on_answer(confirmed: bool | None) -> None:
            if confirmed:
                self._on_marked("Delete", remove_one)

        self.app.push_screen(ConfirmModal("Delete containers", question, "Delete"), on_answer)

    def action_toggle_pause(self) -> None:
        """Pause the selected container, or unpause it if it is paused (each marked one too)."""

        async def toggle_one(container: ContainerSummary) -> str:
            if container.state == "paused":
                await self.client.unpause(container.id)
                return "unpaused"
            await self.client.pause(container.id)
            return "paused"

        if self._on_marked("Pause", toggle_one):
            return
        if (container := self._require_selection()) is None:
            return
        if container.state == "paused":

            async def unpause() -> str:
                await self.client.unpause(container.id)
                return f"Unpaused {container.name}."

            self.run_engine_action(container.id, "Unpause failed", unpause)
            return

        async def pause() -> str:
            await self.client.pause(container.id)
            return f"Paused {container.name}: its processes are frozen until unpaused (p)."

        self.run_engine_action(container.id, "Pause failed", pause)

    def action_kill_container(self) -> None:
        """Pick a signal, then send it to the selected container (or the marked ones)."""
        if self.table.marked:
            self._kill_marked()
            return
        if (container := self._require_selection()) is None:
            return

        def on_pick(signal: str | None) -> None:
            if signal is None:
                return

            async def kill() -> str:
                await self.client.kill(container.id, signal)
                return f"Sent SIG{signal} to {container.name}."

            self.run_engine_action(container.id, "Kill failed", kill)

        self.app.push_screen(SignalPicker(container.name), on_pick)

    def _kill_marked(self) -> None:
        def on_pick(signal: str | None) -> None:
            if signal is None:
                return

            async def kill_one(container: ContainerSummary) -> str:
                await self.client.kill(container.id, signal)
                return f"sent SIG{signal}"

            self._on_marked("Kill", kill_one)

        self.app.push_screen(SignalPicker(f"{len(self.table.marked)} containers"), on_pick)

    def action_rename_container(self) -> None:
        """Ask for a new name, then rename the selected container."""
        if (container := self._require_selection()) is None:
            return

        def on_name(new_name: str | None) -> None:
            if not new_name:
                return

            async def rename() -> str:
                await self.client.rename(container.id, new_name)
                return f"Renamed {container.name} to {new_name}."

            self.run_engine_action(container.id, "Rename failed", rename)

        self.app.push_screen(NamePrompt(f"Rename {container.name}", container.name), on_name)

    def _running_selection(self) -> ContainerSummary | None:
        """The selected container if it runs; else None, having said so."""
        if (container := self._require_selection()) is None:
            return None
        if container.state != "running":
            self.notify(f"{container.name} is not running: start it first (s).",
                        severity="warning", markup=False)  # fmt: skip
            return None
        return container

    def action_shell(self) -> None:
        """Open a shell in the selected running container; the TUI comes back when it ends."""
        if (container := self._running_selection()) is not None:
            self.run_worker(self._shell(container), group="shell", exclusive=True,
                            exit_on_error=False)  # fmt: skip

    async def _shell(self, container: ContainerSummary) -> None:
        try:
            shell = await self._choose_shell(container)
            if shell is None:
                return
            columns, lines = shutil.get_terminal_size()
            exec_id = await self.client.exec_create(container.id, [shell], tty=True,
                                                    size=(lines, columns))  # fmt: skip
            bridge = await self.client.terminal_bridge(exec_id)
            if not self.run_in_terminal(self.app, bridge):
                self.notify("A shell needs a real terminal: this one cannot be suspended.",
                            severity="error", markup=False)  # fmt: skip
                return
            code = await self.client.exec_exit_code(exec_id)
        except EngineError as err:
            self.notify(str(err), title="Shell failed", severity="error", markup=False)
            return
        shown = "still running (detached)" if code is None else f"exited with {code}"
        self.notify(f"The {shell} shell in {container.name} {shown}.", markup=False)

    def action_attach(self) -> None:
        """Attach to the selected running container's own terminal (one made with -t)."""
        if (container := self._running_selection()) is not None:
            self.run_worker(self._attach_terminal(container), group="shell", exclusive=True,
                            exit_on_error=False)  # fmt: skip

    async def _attach_terminal(self, container: ContainerSummary) -> None:
        try:
            config = (await self.client.inspect_container(container.id)).get("Config") or {}
            if not config.get("Tty"):
                self.notify(f"{container.name} has no terminal (it was not made with -t): "
                            "l shows its output, x opens a shell in it.",
                            severity="warning", markup=False)  # fmt: skip
                return
            banner = (f"tuibox: attached to {container.name}; ctrl-p ctrl-q detaches and "
                      "leaves it running.\r\n")  # fmt: skip
            bridge = await self.client.attach_bridge(container.id, banner)
            if not self.run_in_terminal(self.app, bridge):
                self.notify("Attaching needs a real terminal: this one cannot be suspended.",
                            severity="error", markup=False)  # fmt: skip
                return
            state = (await self.client.inspect_container(container.id)).get("State") or {}
        except EngineError as err:
            self.notify(str(err), title="Attach failed", severity="error", markup=False)
            return
        if state.get("Running"):
            self.notify(f"Detached from {container.name}; it is still running.", markup=False)
        else:
            self.notify(f"{container.name} exited with {state.get('ExitCode')}.", markup=False)

    async def _choose_shell(self, container: ContainerSummary) -> str | None:
        """sh, or bash when the image has it: asked once per image, then remembered."""
        if container.image in self.shells:
            return self.shells[container.image]
        probe = await self.client.exec_create(
            container.id, ["sh", "-c", "command -v bash >/dev/null"], tty=False)  # fmt: skip
        await self.client.exec_start_detached(probe)
        code = None
        for _ in range(50):
            code = await self.client.exec_exit_code(probe)
            if code is not None:
                break
            await asyncio.sleep(0.1)
        shell: str | None = "sh"
        if code == 0:
            shell = await self.app.push_screen_wait(ChoiceModal(
                f"Shell for {container.image}", [("bash", "bash"), ("sh", "sh")]))  # fmt: skip
        if shell is not None:
            self.shells[container.image] = shell
        return shell

    def action_show_logs(self) -> None:
        """Open the selected container's detail screen on its Logs tab (following)."""
        if (container := self._require_selection()) is None:
            return
        self.app.push_screen(
            ContainerScreen(self.client, self.feed, container, clock=self.clock, initial_tab="logs")
        )

    @on(DataTable.RowSelected, "#containers-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click on the selected row) opens the container's detail screen."""
        event.stop()
        self.action_open_container()

    def action_open_container(self) -> None:
        """Open the selected container's detail screen on its Stats tab."""
        if (container := self._require_selection()) is None:
            return
        self.app.push_screen(ContainerScreen(self.client, self.feed, container, clock=self.clock))


def run_suspended(app: App[object], bridge: Bridge) -> bool:
    """Give the terminal to `bridge` with the TUI suspended; False where it cannot be.

    The body is synchronous, so nothing repaints meanwhile (a repaint while suspended can
    hang Textual), and batch_update holds back what piled up until the TUI is back.
    """
    stdin, stdout = sys.__stdin__, sys.__stdout__
    if stdin is None or stdout is None:
        return False
    try:
        with app.batch_update(), app.suspend():
            bridge.run(stdin.fileno(), stdout.fileno())
    except SuspendNotSupported:
        return False
    return True
