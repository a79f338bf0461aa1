"""Provides LayerFileTree: one layer's file tree, its changes marked by a letter and a colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuibox.client.image_details import LayerReport
from tuibox.widgets.format import human_size, terminal_safe
from tuibox.widgets.layer_rows import CHANGE_LETTERS, FileRow, layer_rows
from tuibox.widgets.search_bar import SearchBar

OPEN_ROWS = 2000
"""More rows than this under the directories to open, and only the top ones open (or
none, if they still hold more): a tree is read, not scrolled through 30,000 lines."""


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
        """What the tree holds, in tree order (a closed directory's rows are added to the
        tree when it is first opened: a tree of 30,000 files is built in milliseconds)."""
        self._children: dict[str, list[FileRow]] = {}
        """The rows not yet in the tree, by the path of their directory ("" for the top)."""
        self._open: set[str] = set()

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
        self._children = {}
        self._open = set()
        if self.report is None:
            self.rows = []
            return
        self.rows = layer_rows(self.report, self.layer_index, changes_only=self.changes_only,
                               query=self.search_query)  # fmt: skip
        listed = {row.path for row in self.rows}
        for row in self.rows:
            parent = row.path.rsplit("/", 1)[0]
            self._children.setdefault(parent if parent in listed else "", []).append(row)
        if self.changes_only or self.search_query:
            self._open = {row.path for row in self.rows if row.kind == "dir"}
        else:
            self._open = {parent for row in self.rows if row.change
                          for parent in _parents(row.path)}  # fmt: skip
        shown = sum(1 for row in self.rows if row.path.rsplit("/", 1)[0] in self._open)
        if shown > OPEN_ROWS:  # a layer that adds a whole distribution: open the top only
            self._open = {path for path in self._open if path.count("/") == 1}
            shown = sum(1 for row in self.rows if row.path.rsplit("/", 1)[0] in self._open)
            if shown > OPEN_ROWS:
                self._open = set()
        self._fill(self.root, "")
        self.root.expand()

    def _fill(self, node: TreeNode[FileRow], path: str) -> None:
        """Add the rows under `path` to `node`; directories stay empty until opened, except
        those to show open (holding a change, or everything when filtered)."""
        for row in self._children.pop(path, []):
            label = self._label(row, under_parent=bool(path) or row.depth == 0)
            if row.kind != "dir":
                node.add_leaf(label, data=row)
                continue
            child = node.add(label, data=row)
            if row.path in self._open:
                self._fill(child, row.path)
                child.expand()

    @on(Tree.NodeExpanded)
    def _fill_opened(self, event: Tree.NodeExpanded[FileRow]) -> None:
        row = event.node.data
        if row is not None and row.path in self._children:
            self._fill(event.node, row.path)

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
