"""Provides ResourceTable: a keyed DataTable updated in place, with vi keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

ItemT = TypeVar("ItemT")

MARK = "● "
"""Before the first cell of a marked row."""


class ResourceTable(DataTable[Text], Generic[ItemT]):
    """A row-cursor table of engine objects, each row keyed by a stable ID.

    sync() updates only the cells that changed, so the cursor and scroll position survive
    the once-a-second refresh; the table is rebuilt only when rows appear or reorder.
    Rows can be marked (a dot before the first cell) for actions on several at once; a
    mark goes with its row. A subclass may hide columns (show_columns): rows still give
    every column's cell, and a hidden one comes back with what it last held.
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(key, label) of each column, in display order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]
    """Vi-style movement on top of the arrows, PageUp/PageDown and Home/End."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._cells: dict[str, tuple[str, ...]] = {}
        self._items: dict[str, ItemT] = {}
        self.marked: list[str] = []
        """The keys of the marked rows, in the order they were marked."""
        self._first_cells: dict[str, Text] = {}
        self._shown: tuple[str, ...] = tuple(key for key, _ in self.COLUMNS)
        self._full: dict[str, tuple[Text, ...]] = {}
        """Every column's cell of each row (shown or not), the first one with its mark."""

    def on_mount(self) -> None:
        """Add the columns."""
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label in self.COLUMNS:
            if key in self._shown:
                self.add_column(label, key=key)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns on view, in COLUMNS order."""
        return self._shown

    def show_columns(self, keys: Sequence[str]) -> None:
        """Show only the columns `keys` (kept in COLUMNS order); the rows are redrawn."""
        shown = tuple(key for key, _ in self.COLUMNS if key in keys)
        if shown == self._shown:
            return
        self._shown = shown
        if not self.is_mounted:
            return
        selected = self.selected_key
        self.clear(columns=True)
        self._add_columns()
        self._cells = {}
        for key, cells in self._full.items():
            visible = self._visible(cells)
            self.add_row(*visible, key=key)
            self._cells[key] = tuple(_fingerprint(cell) for cell in visible)
        if selected is not None and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _visible(self, cells: tuple[Text, ...]) -> tuple[Text, ...]:
        if len(self._shown) == len(self.COLUMNS):
            return cells
        return tuple(cell for (key, _), cell in zip(self.COLUMNS, cells, strict=True)
                     if key in self._shown)  # fmt: skip

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, None when the table is empty."""
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    @property
    def selected_item(self) -> ItemT | None:
        """The object shown in the row under the cursor."""
        key = self.selected_key
        return self._items.get(key) if key is not None else None

    def sync(self, rows: Sequence[tuple[str, ItemT, tuple[Text, ...]]]) -> None:
        """Show exactly `rows`, in order, changing as little as possible.

        Args:
            rows: (row key, object, cells) per row; cells in COLUMNS order.
        """
        unique_rows = list({key: (key, item, self._with_mark(key, cells))
                            for key, item, cells in rows}.values())  # fmt: skip
        wanted_keys = [key for key, _, _ in unique_rows]
        self._items = {key: item for key, item, _ in unique_rows}
        self.marked = [key for key in self.marked if key in self._items]
        self._first_cells = {key: self._first_cells[key] for key in self._items}
        self._full = {key: cells for key, _, cells in unique_rows}
        kept_keys = [key for key in self._cells if key in self._items]
        if kept_keys != wanted_keys[: len(kept_keys)]:
            self._rebuild(unique_rows)
            return
        selected = self.selected_key
        removed_keys = [key for key in self._cells if key not in self._items]
        for key in removed_keys:
            self.remove_row(key)
            del self._cells[key]
        for key, _, cells in unique_rows:
            if key not in self._cells:
                visible = self._visible(cells)
                self.add_row(*visible, key=key)
                self._cells[key] = tuple(_fingerprint(cell) for cell in visible)
            else:
                self.set_cells(key, dict(zip((k for k, _ in self.COLUMNS), cells, strict=True)))
        if removed_keys and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    @property
    def marked_items(self) -> list[ItemT]:
        """The objects of the marked rows, in the order they were marked."""
        return [self._items[key] for key in self.marked]

    def toggle_mark(self, key: str) -> None:
        """Mark row `key`, or unmark it."""
        if key in self.marked:
            self.marked.remove(key)
        elif key in self._items:
            self.marked.append(key)
        self._redraw_first_cell(key)

    def clear_marks(self) -> None:
        """Unmark every row."""
        marked, self.marked = self.marked, []
        for key in marked:
            self._redraw_first_cell(key)

    def _with_mark(self, key: str, cells: tuple[Text, ...]) -> tuple[Text, ...]:
        self._first_cells[key] = cells[0]
        if key not in self.marked:
            return cells
        return (Text.assemble((MARK, "bold"), cells[0], style="bold"), *cells[1:])

    def _redraw_first_cell(self, key: str) -> None:
        if key in self._cells and key in self._first_cells:
            first = self._with_mark(key, (self._first_cells[key],))[0]
            self.set_cells(key, {self.COLUMNS[0][0]: first})

    def set_cells(self, key: str, cells: Mapping[str, Text]) -> None:
        """Update some cells of row `key` (by column key), each only if it changed."""
        if key in self._full:
            self._full[key] = tuple(cells.get(column_key, old) for (column_key, _), old
                                    in zip(self.COLUMNS, self._full[key], strict=True))  # fmt: skip
        shown = list(self._cells[key])
        for index, column_key in enumerate(self._shown):
            cell = cells.get(column_key)
            if cell is None:
                continue
            new = _fingerprint(cell)
            if shown[index] != new:
                grew = cell.cell_len > len(shown[index]) - len(str(cell.style))
                self.update_cell(key, column_key, cell, update_width=grew)
                shown[index] = new
        self._cells[key] = tuple(shown)

    def _rebuild(self, rows: Sequence[tuple[str, ItemT, tuple[Text, ...]]]) -> None:
        selected = self.selected_key
        self.clear()
        self._cells = {}
        for key, _, cells in rows:
            visible = self._visible(cells)
            self.add_row(*visible, key=key)
            self._cells[key] = tuple(_fingerprint(cell) for cell in visible)
        if selected is not None and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected), animate=False)


def _fingerprint(cell: Text) -> str:
    """What a cell shows: its text and its style."""
    return cell.plain + str(cell.style)
