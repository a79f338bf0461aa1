"""Provides ContainersPane: the container list and its start, stop, restart, delete, logs keys."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.logs import LogsScreen
from tuibox.widgets.container_table import ContainerTable


class ContainersPane(EnginePane):
    """All containers, running or not, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start_container", "Start"),
        Binding("S", "stop_container", "Stop"),
        Binding("R", "restart_container", "Restart"),
        Binding("d", "delete_container", "Delete"),
        Binding("l", "show_logs", "Logs"),
    ]
    """Actions on the selected container."""

    def compose(self) -> ComposeResult:
        """The table."""
        yield ContainerTable(id="containers-table")

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
        self.query_one(ContainerTable).show(containers, self.clock())

    def _require_selection(self) -> ContainerSummary | None:
        container = self.selected
        if container is None:
            self.notify("No container selected.", severity="warning")
        return container

    def action_start_container(self) -> None:
        """Start the selected container."""
        if (container := self._require_selection()) is None:
            return

        async def start() -> str:
            result = await self.client.start(container.id)
            if result.already_started:
                return f"{container.name} is already running."
            return f"Started {container.name}."

        self.run_engine_action(container.id, "Start failed", start)

    def action_stop_container(self) -> None:
        """Stop the selected container (SIGTERM, then SIGKILL after 10 s)."""
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
        """Restart the selected container."""
        if (container := self._require_selection()) is None:
            return

        async def restart() -> str:
            await self.client.restart(container.id)
            return f"Restarted {container.name}."

        self.run_engine_action(container.id, "Restart failed", restart)

    def action_delete_container(self) -> None:
        """Ask, then delete the selected container."""
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

    def action_show_logs(self) -> None:
        """Follow the selected container's output in its own screen."""
        if (container := self._require_selection()) is None:
            return
        self.app.push_screen(LogsScreen(self.client, container))
