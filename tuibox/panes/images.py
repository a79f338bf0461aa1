"""Provides ImagesPane: the image list and its run and delete keys."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from tuibox.client.errors import EngineError
from tuibox.client.run_options import RunOptions
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.run_dialog import RunDialog
from tuibox.widgets.format import short_id
from tuibox.widgets.image_table import ImageRow, ImageTable


class ImagesPane(EnginePane):
    """Local images, one row per tag, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_image", "Run"),
        Binding("d", "delete_image", "Delete"),
    ]
    """Actions on the selected image."""

    def compose(self) -> ComposeResult:
        """The table."""
        yield ImageTable(id="images-table")

    @property
    def selected(self) -> ImageRow | None:
        """The image row under the cursor."""
        return self.query_one(ImageTable).selected_item

    async def fetch_and_show(self) -> None:
        """Fetch the images and update the table in place."""
        try:
            images = await self.client.list_images()
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        self.query_one(ImageTable).show(images, self.clock())

    def _require_selection(self) -> ImageRow | None:
        row = self.selected
        if row is None:
            self.notify("No image selected.", severity="warning")
        return row

    def action_run_image(self) -> None:
        """Ask how to run the selected image (name, -p, network, command), then create a
        container from it and start it detached; Enter on empty fields runs it as it is."""
        if (row := self._require_selection()) is None:
            return

        def on_options(options: RunOptions | None) -> None:
            if options is None:
                return

            async def run() -> str:
                if options.is_default:
                    container_id = await self.client.run_image(row.target)
                else:
                    container_id = await self.client.run_image(row.target, options)
                return f"Started container {short_id(container_id)} from {row.reference}."

            self.run_engine_action(row.image.id, "Run failed", run)

        self.app.push_screen(RunDialog(row.reference), on_options)

    def action_delete_image(self) -> None:
        """Ask, then delete (untag) the selected image."""
        if (row := self._require_selection()) is None:
            return
        question = f"Delete image {row.reference} ({short_id(row.image.id)})?"

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def remove() -> str:
                await self.client.remove_image(row.target)
                return f"Deleted {row.reference}."

            self.run_engine_action(row.image.id, "Delete failed", remove)

        self.app.push_screen(ConfirmModal("Delete image", question, "Delete"), on_answer)
