"""Provides ImageDetailScreen: one image's history, config, layer explorer and inspect, in tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError
from tuibox.client.image_details import ImageConfig, LayerReport
from tuibox.client.models import ImageSummary
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import PollFailed, WorkerCrashed
from tuibox.screens.tab_cycling import TabCycling
from tuibox.widgets.format import age, human_size, short_id
from tuibox.widgets.image_tables import ConfigTable, HistoryTable, LayerTable, WastedTable
from tuibox.widgets.inspect_tree import InspectTree
from tuibox.widgets.layer_file_tree import LayerFileTree
from tuibox.widgets.search_bar import Searching

TAB_IDS = ("history", "config", "layers", "inspect")
"""The tabs in order (Tab and Shift+Tab cycle through them; 1 to 4 show one)."""
NO_EXPLORER = (
    "This engine has no layer explorer: it is tuibox's own endpoint "
    "(GET /tuibox/v1/images/{name}/layers), which dockerd and podman do not serve. "
    "History, Config and Inspect work on any engine."
)
LEGEND = "A added · M modified · R removed"


class ImageDetailScreen(TabCycling):
    """One image: History, Config, Layers (the explorer) and Inspect; Esc back.

    Lifecycle: on mount, inspect and history are fetched once (Config and Inspect read the
    inspect document); the layer report is fetched the first time the Layers tab shows,
    since the engine walks every layer to answer it. Choosing a layer on the left shows
    its file tree on the right.
    """

    TAB_IDS = TAB_IDS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("tab", "next_tab", "Next tab", priority=True, show=False),
        Binding("shift+tab", "previous_tab", "Previous tab", priority=True, show=False),
        Binding("1", "show_tab('history')", "History tab", show=False),
        Binding("2", "show_tab('config')", "Config tab", show=False),
        Binding("3", "show_tab('layers')", "Layers tab", show=False),
        Binding("4", "show_tab('inspect')", "Inspect tab", show=False),
        Binding("c", "toggle_changes", "Changes only/all files"),
        Binding("f", "switch_focus", "Layers/files"),
        Binding("slash", "filter_files", "Filter files", key_display="/", show=False),
    ]
    """Esc back; Tab, Shift+Tab and 1 to 4 switch tabs. On Layers: c toggles changes only,
    f moves between the layer list and the file tree (Enter on a layer goes to its files),
    / filters the files from either."""

    class LayerChosen(Message):
        """The cursor is on another layer. Coalesced: moving over several layers quickly
        rebuilds the file tree (up to a second for 30,000 files) once, for the last."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

        def can_replace(self, message: Message) -> bool:
            """A newer choice makes a waiting one moot."""
            return isinstance(message, ImageDetailScreen.LayerChosen)

    CSS = """
    #image-title { height: 1; background: $panel; text-style: bold; }
    #image-tabs, #image-tabs > ContentSwitcher, #image-tabs TabPane { height: 1fr; }
    #layers-side { width: 45%; }
    #layers-list { height: 1fr; }
    #layers-wasted-summary { height: auto; padding: 0 1; background: $panel; }
    #layers-wasted { height: 9; }
    #layers-status { height: auto; padding: 0 1; background: $panel; }
    """
    """Screen CSS (not DEFAULT_CSS) so the app's `ResourceTable { height: 1fr }` yields to it."""

    def __init__(
        self,
        client: EngineClientProtocol,
        image: ImageSummary,
        reference: str,
        *,
        clock: Callable[[], float],
        initial_tab: str = "history",
    ) -> None:
        """Build the screen.

        Args:
            client: How the screen reaches the engine.
            image: The image shown, as the list gave it.
            reference: The name to ask the engine for it by (a tag, or the ID).
            clock: The current Unix time (tests freeze it).
            initial_tab: The tab shown first.

        Raises:
            ValueError: `initial_tab` names no tab.
        """
        super().__init__(initial_tab)
        self.client = client
        self.image = image
        self.reference = reference
        self.clock = clock
        self.report: LayerReport | None = None
        self.layers_requested = False

    def compose(self) -> ComposeResult:
        """Title line, the tabs, the key footer."""
        yield Static(self._title(), id="image-title", markup=False)
        with TabbedContent(initial=self.initial_tab, id="image-tabs"):
            with TabPane("1 History", id="history"):
                yield HistoryTable(id="image-history")
            with TabPane("2 Config", id="config"):
                yield ConfigTable(id="image-config")
            with TabPane("3 Layers", id="layers"), Horizontal():
                with Vertical(id="layers-side"):
                    yield LayerTable(id="layers-list")
                    yield Static("", id="layers-wasted-summary", markup=False)
                    yield WastedTable(id="layers-wasted")
                with Vertical(id="layers-files"):
                    yield Static("Reading the layers…", id="layers-status", markup=False)
                    yield Searching(LayerFileTree(id="layers-tree"))
            with TabPane("4 Inspect", id="inspect"):
                yield Searching(InspectTree(id="image-inspect"))
        yield Footer()

    def _title(self) -> str:
        image = self.image
        return " · ".join((f" {self.reference}", short_id(image.id), human_size(image.size),
                           f"created {age(image.created, self.clock())}"))  # fmt: skip

    def on_mount(self) -> None:
        """Fetch inspect and history; show the first tab."""
        self.load_image()
        self._load_tab(self.initial_tab)


    @property
    def file_tree(self) -> LayerFileTree:
        return self.query_one(LayerFileTree)

    @work(exclusive=True, group="image-details", exit_on_error=False)
    async def load_image(self) -> None:
        """Fill History, Config and Inspect."""
        try:
            document = await self.client.inspect_image(self.reference)
            history = await self.client.image_history(self.reference)
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.query_one(HistoryTable).show(history, self.clock())
        self.query_one(ConfigTable).show(ImageConfig.from_inspect(document))
        self.query_one(InspectTree).show_document(document)

    @work(exclusive=True, group="image-layers", exit_on_error=False)
    async def load_layers(self) -> None:
        """Fetch the layer report and show the bottom layer."""
        status = self.query_one("#layers-status", Static)
        try:
            report = await self.client.image_layers(self.reference)
        except EngineError as err:
            status.update(f"Cannot read the layers: {err}")
            self.post_message(PollFailed(err))
            return
        if report is None:
            status.update(NO_EXPLORER)
            return
        self.report = report
        self.query_one(LayerTable).show(report.layers)
        share = f"{report.efficiency * 100:.1f} %"
        files = f"{report.wasted_file_count} file" + ("" if report.wasted_file_count == 1 else "s")
        self.query_one("#layers-wasted-summary", Static).update(
            f"Wasted {human_size(report.wasted_bytes)} of {human_size(report.size)} ({files}) "
            f"· efficiency {share}")  # fmt: skip
        self.query_one(WastedTable).show(report.wasted_files)
        if report.layers:
            self._show_layer(0)
        else:
            status.update("The image has no layers.")

    def _show_layer(self, index: int) -> None:
        if self.report is None:
            return
        tree = self.file_tree
        tree.show_layer(self.report, index)
        self._update_status()

    def _update_status(self) -> None:
        if self.report is None:
            return
        tree = self.file_tree
        layer = self.report.layers[tree.layer_index]
        view = "changes only" if tree.changes_only else "all files as of this layer"
        parts = [f"Layer {layer.index + 1} of {len(self.report.layers)}", view, LEGEND]
        if tree.search_query:
            parts.append(f"filter {tree.search_query!r}: {len(tree.rows)} rows")
        if layer.truncated:
            parts.append(f"the engine listed {len(layer.entries)} of {layer.entry_count} entries")
        self.query_one("#layers-status", Static).update(" · ".join(parts))

    @on(DataTable.RowHighlighted, "#layers-list")
    def _on_layer_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.report is not None and event.row_key.value is not None:
            self.post_message(self.LayerChosen(int(event.row_key.value)))

    @on(LayerChosen)
    def _on_layer_chosen(self, message: LayerChosen) -> None:
        self._show_layer(message.index)

    @on(DataTable.RowSelected, "#layers-list")
    def _on_layer_selected(self) -> None:
        self.file_tree.focus()

    @on(LayerFileTree.Filtered)
    def _on_filter_changed(self) -> None:
        self._update_status()

    @on(TabbedContent.TabActivated)
    def _on_tab_activated(self) -> None:
        self._load_tab(self.active_tab)
        self.refresh_bindings()

    def _load_tab(self, tab_id: str) -> None:
        focus = {"history": "#image-history", "config": "#image-config",
                 "layers": "#layers-list", "inspect": "#image-inspect"}[tab_id]  # fmt: skip
        self.query_one(focus).focus()
        if tab_id == "layers" and not self.layers_requested:
            self.layers_requested = True
            self.load_layers()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The Layers keys only where the layers show."""
        if action in ("toggle_changes", "switch_focus", "filter_files"):
            return self.active_tab == "layers" and self.report is not None
        return True

    def action_toggle_changes(self) -> None:
        """Show only the layer's own entries, or every file as of the layer."""
        tree = self.file_tree
        tree.set_changes_only(not tree.changes_only)
        self._update_status()

    def action_switch_focus(self) -> None:
        """Move between the layer list and the file tree."""
        if self.file_tree.has_focus:
            self.query_one(LayerTable).focus()
        else:
            self.file_tree.focus()

    def action_filter_files(self) -> None:
        """Open the file tree's filter (from the layer list too)."""
        self.file_tree.action_search()

    @on(Worker.StateChanged)
    def _forward_worker_failure(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))
