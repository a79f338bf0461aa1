"""Provides ProcessTable: `docker top` of one container, rows keyed by PID, updated in place."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tuibox.client.details import ProcessList
from tuibox.widgets.format import terminal_safe


class ProcessTable(DataTable[Text]):
    """ps's columns as the engine sent them (UID PID PPID C STIME TTY TIME CMD by default).

    Each refresh changes only the cells that changed, so the cursor stays on its process;
    rows come and go with the processes, and new ones are placed in ps's order.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.titles: tuple[str, ...] = ()
        self._rows: dict[str, tuple[str, ...]] = {}

    def show(self, processes: ProcessList) -> None:
        """Display `processes`; a change of columns rebuilds the table."""
        if processes.titles != self.titles:
            self.clear(columns=True)
            self._rows = {}
            self.titles = processes.titles
            for title in self.titles:
                self.add_column(title, key=title)
        pid_column = processes.pid_column
        wanted: dict[str, tuple[str, ...]] = {}
        for index, row in enumerate(processes.processes):
            key = row[pid_column] if pid_column is not None else str(index)
            wanted[key] = tuple(terminal_safe(field) for field in row)
        kept = [key for key in self._rows if key in wanted]
        if kept != list(wanted)[: len(kept)]:
            self._rebuild(wanted)
            return
        for key in [key for key in self._rows if key not in wanted]:
            self.remove_row(key)
            del self._rows[key]
        for key, fields in wanted.items():
            shown = self._rows.get(key)
            if shown is None:
                self.add_row(*(Text(field) for field in fields), key=key)
            else:
                for title, old, new in zip(self.titles, shown, fields, strict=True):
                    if old != new:
                        self.update_cell(key, title, Text(new), update_width=len(new) > len(old))
            self._rows[key] = fields

    def _rebuild(self, wanted: dict[str, tuple[str, ...]]) -> None:
        selected = None
        if self.row_count:
            selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.clear()
        for key, fields in wanted.items():
            self.add_row(*(Text(field) for field in fields), key=key)
        self._rows = dict(wanted)
        if selected in self._rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
