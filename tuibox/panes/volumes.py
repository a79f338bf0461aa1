"""Provides VolumesPane: the volume list with its create, delete, prune and details keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tuibox.client.errors import EngineError
from tuibox.client.models import VolumeSummary
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.details import DetailsModal
from tuibox.screens.name_prompt import NamePrompt
from tuibox.widgets.format import human_size
from tuibox.widgets.volume_table import VolumeTable

PRUNE_LISTED = 12
"""How many of the volumes a prune would remove the question names one by one."""


class VolumesPane(EnginePane):
    """Local volumes: named ones first, then anonymous ones, each said in use or not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "create_volume", "Create"),
        Binding("d", "delete_volume", "Delete"),
        Binding("X", "prune_volumes", "Prune"),
        Binding("enter", "show_volume", "Details", key_display="Enter", show=False),
    ]
    """Actions on the volumes (the table takes Enter first: see _on_row_selected)."""

    def __init__(
        self,
        client: EngineClientProtocol,
        *,
        clock: Callable[[], float],
        poll_interval: float,
        id: str | None = None,
    ) -> None:
        """Build the pane (see EnginePane)."""
        super().__init__(client, clock=clock, poll_interval=poll_interval, id=id)
        self._volumes: list[VolumeSummary] = []

    def compose(self) -> ComposeResult:
        """The table."""
        yield VolumeTable(id="volumes-table")

    @property
    def selected(self) -> VolumeSummary | None:
        """The volume under the cursor."""
        return self.query_one(VolumeTable).selected_item

    async def fetch_and_show(self) -> None:
        """Fetch the volumes and update the table in place."""
        try:
            volumes = await self.client.list_volumes()
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        self._volumes = volumes
        self.query_one(VolumeTable).show(volumes, self.clock())

    def _require_selection(self) -> VolumeSummary | None:
        volume = self.selected
        if volume is None:
            self.notify("No volume selected.", severity="warning")
        return volume

    def action_create_volume(self) -> None:
        """Ask for a name, then create the volume."""

        def on_name(name: str | None) -> None:
            if name is None:
                return

            async def create() -> str:
                volume = await self.client.create_volume(name)
                return f"Created volume {volume.name}."

            self.run_engine_action(f"volume-{name}", "Create failed", create)

        self.app.push_screen(NamePrompt("Create a volume", "", allow_empty=True), on_name)

    def action_delete_volume(self) -> None:
        """Ask, then delete the selected volume (the engine refuses one in use)."""
        if (volume := self._require_selection()) is None:
            return
        question = f"Delete volume {volume.name} and every file in it?"
        if volume.in_use:
            question += "\nA container uses it: the engine will refuse until that is removed."

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def remove() -> str:
                await self.client.remove_volume(volume.name)
                return f"Deleted volume {volume.name}."

            self.run_engine_action(f"volume-{volume.name}", "Delete failed", remove)

        self.app.push_screen(ConfirmModal("Delete volume", question, "Delete"), on_answer)

    def action_prune_volumes(self) -> None:
        """List what a prune removes (unused anonymous volumes), ask, then prune."""
        doomed = [v.name for v in self._volumes if v.anonymous and v.in_use is False]
        if not doomed:
            self.notify("No unused anonymous volume to prune.", markup=False)
            return
        shown = "\n".join(f"  {name}" for name in doomed[:PRUNE_LISTED])
        more = len(doomed) - PRUNE_LISTED
        question = (f"Remove {len(doomed)} unused anonymous volume(s) and their files?\n{shown}"
                    + (f"\n  … and {more} more" if more > 0 else ""))  # fmt: skip

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def prune() -> str:
                removed, freed = await self.client.prune_volumes()
                return f"Pruned {len(removed)} volume(s), {human_size(freed)} freed."

            self.run_engine_action("volume-prune", "Prune failed", prune)

        self.app.push_screen(ConfirmModal("Prune volumes", question, "Prune"), on_answer)

    @on(DataTable.RowSelected, "#volumes-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_show_volume()

    def action_show_volume(self) -> None:
        """Show the selected volume's details: where its files are, labels, use."""
        if (volume := self._require_selection()) is None:
            return
        labels = ", ".join(f"{k}={v}" for k, v in volume.labels) or "none"
        use = {True: "yes", False: "no", None: "unknown"}[volume.in_use]
        lines = [
            f"Name:        {volume.name}",
            f"Driver:      {volume.driver}",
            f"Kind:        {'anonymous' if volume.anonymous else 'named'}",
            f"In use:      {use}",
            f"Created:     {volume.created_at}",
            f"Mountpoint:  {volume.mountpoint}",
            f"Labels:      {labels}",
        ]
        self.app.push_screen(DetailsModal(f"Volume {volume.name}", "\n".join(lines)))
