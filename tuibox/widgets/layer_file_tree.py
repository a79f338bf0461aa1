"""Provides LayerFileTree: one layer's file tree, its changes marked by a letter and a colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuibox.client.image_details import LayerReport
from tuibox.widgets.format import human_size, terminal_safe
from tuibox.widgets.layer_rows import CHANGE_LETTERS, FileRow, layer_rows
from tuibox.widgets.search_bar import SearchBar


class LayerFileTree(Tree[FileRow]):
    """Rows read `A   1.1MB -rwxr-xr-x busybox`: A added, M modified, R removed, blank for
    a file the layer left as it was. Directories holding a change start open.

    `/` filters the paths (any case, Enter with an empty text shows all again); the screen
    toggles `changes_only` (the layer's own entries, or every file as of the layer).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "layerfiletree--added", "layerfiletree--modified", "layerfiletree--removed",
    }  # fmt: skip

    DEFAULT_CSS = """
    LayerFileTree > .layerfiletree--added { color: $success; }
    LayerFileTree > .layerfiletree--modified { color: $warning; }
    LayerFileTree > .layerfiletree--removed { color: $error; text-style: strike; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Filter", key_display="/"),
    ]
    """`/` asks for a filter."""

    class Filtered(Message):
        """The filter changed (the rows shown are new)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("/", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = True
        self.report: LayerReport | None = None
        self.layer_index = 0
        self.changes_only = False
        self.search_query = ""
        """The filter in force ("" for none)."""
        self.rows: list[FileRow] = []
        """What is shown, in tree order."""

    def show_layer(self, report: LayerReport, index: int) -> None:
        """Show layer `index` of `report` (the filter and the toggle stay)."""
        self.report, self.layer_index = report, index
        self._rebuild()

    def set_changes_only(self, changes_only: bool) -> None:
        """Show only the layer's own entries, or every file as of the layer."""
        self.changes_only = changes_only
        self._rebuild()

    def action_search(self) -> None:
        """Ask for a filter (the screen shows the search bar)."""
        self.post_message(SearchBar.Requested(self, self.search_query))

    def search(self, query: str) -> None:
        """Keep only the paths holding `query` (any case) and their directories."""
        self.search_query = query
        self._rebuild()
        self.post_message(self.Filtered())

    def _rebuild(self) -> None:
        self.clear()
        if self.report is None:
            self.rows = []
            return
        self.rows = layer_rows(self.report, self.layer_index, changes_only=self.changes_only,
                               query=self.search_query)  # fmt: skip
        open_all = self.changes_only or bool(self.search_query)
        holding_changes = {parent for row in self.rows if row.change
                           for parent in _parents(row.path)}  # fmt: skip
        nodes: dict[str, TreeNode[FileRow]] = {}
        for row in self.rows:
            parent_path = row.path.rsplit("/", 1)[0]
            parent = nodes.get(parent_path, self.root)
            label = self._label(row, parent_path in nodes or not parent_path)
            if row.kind == "dir":
                expand = open_all or row.path in holding_changes
                nodes[row.path] = parent.add(label, data=row, expand=expand)
            else:
                parent.add_leaf(label, data=row)
        self.root.expand()

    def _label(self, row: FileRow, under_parent: bool) -> Text:
        """The row's text; a path whose directory is not listed (a cut layer) shows whole."""
        style = self._style(row)
        name = row.name if under_parent else row.path
        size = "" if row.kind == "dir" and row.change != "removed" else human_size(row.size)
        suffix = "/" if row.kind == "dir" else ""
        return Text.assemble(
            (CHANGE_LETTERS[row.change], style + Style(bold=True)),
            f" {size:>8} {row.mode_text} ",
            (terminal_safe(name) + suffix, style),
        )

    def _style(self, row: FileRow) -> Style:
        if row.change is None:
            return Style()
        return self.get_component_rich_style(f"layerfiletree--{row.change}", partial=True)


def _parents(path: str) -> Sequence[str]:
    """Every directory above `path` and `path` itself ("/a/b" -> "/a/b", "/a")."""
    found = []
    while path:
        found.append(path)
        path = path.rsplit("/", 1)[0]
    return found
