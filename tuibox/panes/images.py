"""Provides ImagesPane: the image list and its run, push, tag, delete, prune and sort keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary, ImageSummary
from tuibox.client.references import reference_problem
from tuibox.client.run_options import RunOptions
from tuibox.messages import ActionFailed, EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.panes.image_questions import prune_candidates, prune_question, removal_question
from tuibox.screens.choice import ChoiceModal
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.image_detail import ImageDetailScreen
from tuibox.screens.run_dialog import RunDialog
from tuibox.screens.text_prompt import TextPrompt
from tuibox.screens.transfer_dialog import push_dialog
from tuibox.widgets.format import NO_TAG, human_size, short_id
from tuibox.widgets.image_table import ORDERS, ImageRow, ImageTable


class ImagesPane(EnginePane):
    """Local images, one row per tag, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_image", "Run"),
        Binding("u", "push_image", "Push"),
        Binding("t", "tag_image", "Tag"),
        Binding("d", "delete_image", "Delete"),
        Binding("X", "prune_images", "Prune"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("enter", "open_image", "Details", key_display="Enter", show=False),
    ]
    """Actions on the selected image."""

    def compose(self) -> ComposeResult:
        """The table."""
        yield ImageTable(id="images-table")

    _images: Sequence[ImageSummary] = ()
    """The images of the last poll (for the sort and the prune's list)."""

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
        self._images = images
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
        """Ask, naming the containers that use the image, then delete (untag) it; forced when
        only stopped containers use it, as `docker rmi -f` (a running one: the engine refuses)."""
        if (row := self._require_selection()) is None:
            return
        self.run_worker(self._ask_removal(row), group="image-remove", exclusive=True,
                        exit_on_error=False)  # fmt: skip

    async def _containers(self, failure_title: str) -> list[ContainerSummary] | None:
        try:
            return await self.client.list_containers(all=True)
        except EngineError as err:
            self.post_message(ActionFailed(failure_title, err))
            return None

    async def _ask_removal(self, row: ImageRow) -> None:
        if (containers := await self._containers("Delete failed")) is None:
            return
        question, force = removal_question(row, containers)

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def remove() -> str:
                lines = await self.client.remove_image(row.target, force=force)
                deleted = sum(line.startswith("Deleted") for line in lines)
                return f"Deleted {row.reference}" + (f" ({deleted} layer(s) freed)."
                                                     if deleted else " (untagged).")  # fmt: skip

            self.run_engine_action(row.image.id, "Delete failed", remove)

        label = "Force delete" if force else "Delete"
        self.app.push_screen(ConfirmModal("Delete image", question, label), on_answer)

    def action_push_image(self) -> None:
        """Push the selected tag to its registry, with the progress dialog."""
        if (row := self._require_selection()) is None:
            return
        if row.reference == NO_TAG:
            self.notify("An image without a tag cannot be pushed: tag it first (t).",
                        severity="warning", markup=False)  # fmt: skip
            return

        def on_close(pushed: bool | None) -> None:
            self.refresh_now()

        self.app.push_screen(push_dialog(self.client, row.reference), on_close)

    def action_tag_image(self) -> None:
        """Ask for a new reference (repository[:tag]) and give the selected image that name."""
        if (row := self._require_selection()) is None:
            return

        def on_target(target: str | None) -> None:
            if not target:
                return

            async def tag() -> str:
                await self.client.tag_image(row.target, target)
                return f"Tagged {row.reference} as {target}."

            self.run_engine_action(row.image.id, "Tag failed", tag)

        prompt = TextPrompt(f"Tag {row.reference}", "", check=reference_problem,
                            help_text="e.g. localhost:5000/team/app:v2 (no tag: latest)")
        self.app.push_screen(prompt, on_target)

    def action_prune_images(self) -> None:
        """Ask which prune (dangling, or -a: every unused image), list what goes, confirm."""
        self.run_worker(self._ask_prune(), group="image-prune", exclusive=True,
                        exit_on_error=False)  # fmt: skip

    async def _ask_prune(self) -> None:
        if (containers := await self._containers("Prune failed")) is None:
            return
        dangling = prune_candidates(self._images, containers, every_unused=False)
        unused = prune_candidates(self._images, containers, every_unused=True)
        if not unused:
            self.notify("No unused image to prune.", markup=False)
            return

        def on_kind(kind: str | None) -> None:
            if kind is None:
                return
            every = kind == "all"
            doomed = unused if every else dangling
            question = prune_question(doomed, every)

            def on_answer(confirmed: bool | None) -> None:
                if not confirmed:
                    return

                async def prune() -> str:
                    result = await self.client.prune_images(all=every)
                    deleted = sum(line.startswith("Deleted") for line in result.lines)
                    return (f"Pruned {deleted} image(s); reclaimed "
                            f"{human_size(result.space_reclaimed)}.")  # fmt: skip

                self.run_engine_action("image-prune", "Prune failed", prune)

            self.app.push_screen(ConfirmModal("Prune images", question, "Prune"), on_answer)

        choices = [("all", f"All unused (-a): {len(unused)} image(s) no container uses")]
        if dangling:
            choices.insert(0, ("dangling", f"Dangling: {len(dangling)} image(s) without a tag"))
        self.app.push_screen(ChoiceModal("Prune which images?", choices), on_kind)

    def action_cycle_sort(self) -> None:
        """Sort by the next order: newest, oldest, largest, smallest first."""
        table = self.query_one(ImageTable)
        table.set_order(ORDERS[(ORDERS.index(table.order) + 1) % len(ORDERS)])
        table.show(self._images, self.clock())

    @on(DataTable.RowSelected, "#images-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click on the selected row) opens the image's detail screen."""
        event.stop()
        self.action_open_image()

    def action_open_image(self) -> None:
        """Open the selected image's detail screen: history, config, layers, inspect."""
        if (row := self._require_selection()) is None:
            return
        self.app.push_screen(ImageDetailScreen(self.client, row.image, row.target,
                                               clock=self.clock))  # fmt: skip
