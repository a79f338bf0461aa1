"""Provides ContainerTable: the containers list (name, image, state, figures, ports, status, ID)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets.data_table import ColumnKey, RowKey

from tuibox.client.models import ContainerSummary
from tuibox.client.stats_models import StatsSample
from tuibox.widgets.format import age, binary_size, percent, short_id
from tuibox.widgets.ports import compact_ports, docker_ports, fit_ports
from tuibox.widgets.resource_table import MARK, ResourceTable
from tuibox.widgets.trend import TREND_SECONDS, trend

STATE_COMPONENTS = {
    "running": "containertable--running",
    "paused": "containertable--paused",
    "restarting": "containertable--paused",
    "created": "containertable--created",
}
NO_FIGURES = "-"
"""The CPU and memory cells of a container that is not running (or has no sample yet)."""
ONE_CORE = 100.0
"""A CPU trend's full block: one busy core, or the highest value when it used more."""
PORTS_MIN = 12
"""The narrowest PORTS column worth showing: "8080->80/tcp"; narrower, it gives way."""
CELL_PADDING = 2
"""The cells a column takes besides its content (DataTable's cell_padding on each side)."""

ItemT = TypeVar("ItemT")


class CellRepaintTable(ResourceTable[ItemT]):
    """A ResourceTable whose changed cells repaint only themselves.

    DataTable.update_cell repaints the whole table, so one figure changing each second
    resent every visible row (about 380 bytes a row at 80 columns). Here an update that
    keeps the column widths marks only that cell's region dirty: tens of bytes reach the
    terminal. A wider cell (update_width) still repaints everything, as columns move.
    """

    _repainting_one_cell = False

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Text,
        *,
        update_width: bool = False,
    ) -> None:
        """Update one cell; repaint only that cell unless the column has to grow."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
            return
        self._repainting_one_cell = True
        try:
            super().update_cell(row_key, column_key, value)
        finally:
            self._repainting_one_cell = False
        row = self.get_row_index(row_key)
        first, height = self._window()
        if first <= row < first + height:  # a row out of sight is drawn fresh when it shows
            self.refresh_coordinate(Coordinate(row, self.get_column_index(column_key)))

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """Refresh as a widget does, except the whole-table repaint of a one-cell update."""
        if self._repainting_one_cell and not (regions or layout or recompose):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def visible_keys(self) -> list[str]:
        """The keys of the rows inside the table's window now (rows are one line high)."""
        first, height = self._window()
        return [str(row.key.value) for row in self.ordered_rows[first : first + height]]

    def _window(self) -> tuple[int, int]:
        """The first row in sight and how many rows fit (rows are one line high)."""
        header = self.header_height if self.show_header else 0
        height = max(0, self.scrollable_content_region.height - header)
        return max(0, round(self.scroll_y)), height


def cpu_figures(samples: Sequence[StatsSample]) -> str:
    """The CPU cell of a running container: "23% ▂▃▅▇▅" (the trend covers the last 30 s)."""
    latest = samples[-1]
    recent = [(s.time, s.cpu_percent) for s in samples if s.time > latest.time - TREND_SECONDS]
    top = max([ONE_CORE, *(value for _, value in recent)])
    return f"{percent(latest.cpu_percent):>4} {trend(recent, end=latest.time, top=top)}"


def _figure_cells(samples: Sequence[StatsSample]) -> tuple[Text, Text]:
    return Text(cpu_figures(samples)), Text(memory_figures(samples))


def memory_figures(samples: Sequence[StatsSample]) -> str:
    """The memory cell: "65MiB ▂▂▂▂▂", the trend against the container's memory limit."""
    latest = samples[-1]
    points = [(s.time, float(s.memory_used)) for s in samples]
    top = float(latest.memory_limit or max(s.memory_used for s in samples) or 1)
    return f"{binary_size(latest.memory_used):>6} {trend(points, end=latest.time, top=top)}"


@dataclass(frozen=True)
class Layout:
    """Which columns give way to fit the table's width, and how PORTS is written."""

    hidden: frozenset[str] = frozenset()
    ports: str = "full"
    """"full" (as docker ps), "compact" (no every-interface address, v4/v6 twins as one)
    or "fit" (compact, cut to `ports_width` with "+N" for the mappings left out)."""
    ports_width: int = 0


FULL_LAYOUT = Layout()


def plan_layout(widths: Mapping[str, int], compact_width: int, available: int,
                any_ports: bool) -> Layout:  # fmt: skip
    """The first layout, in the order things give way, whose columns fit `available` cells.

    CONTAINER ID goes first. Then PORTS turns compact (the same mappings, without the
    every-interface addresses and IPv6 twins), CREATED goes, PORTS is cut to what is left
    (no narrower than PORTS_MIN), STATUS giving way to it if need be; only then does PORTS
    go (STATUS back). NAME, IMAGE, STATE and the figures never go: past that the table
    scrolls sideways. A PORTS column with nothing in it goes first of all.

    Args:
        widths: Each column's content width with the full docker ps ports.
        compact_width: The widest compact PORTS content.
        available: The cells across the table (0: not laid out yet, show everything).
        any_ports: Whether some container has a port to show.
    """

    def total(hidden: frozenset[str], ports_width: int | None = None) -> int:
        shown = {key: width for key, width in widths.items() if key not in hidden}
        if ports_width is not None and "ports" in shown:
            shown["ports"] = max(ports_width, len("PORTS"))
        return sum(width + CELL_PADDING for width in shown.values())

    if available <= 0 or total(frozenset()) <= available:
        return FULL_LAYOUT
    if not any_ports:
        for empty in (frozenset({"ports"}), frozenset({"ports", "id"})):
            if total(empty) <= available:
                return Layout(empty)
        return Layout(frozenset({"ports", "id", "created"}))
    no_id = frozenset({"id"})
    if total(no_id) <= available:
        return Layout(no_id)
    narrow = no_id | frozenset({"created"})
    ports = frozenset({"ports"})
    for hidden in (no_id, narrow, narrow | frozenset({"status"})):
        if total(hidden, compact_width) <= available:
            return Layout(hidden, "compact")
        room = available - total(hidden | ports) - CELL_PADDING
        if hidden != no_id and room >= PORTS_MIN:
            return Layout(hidden, "fit", room)
    return Layout(narrow | ports)


class ContainerTable(CellRepaintTable[ContainerSummary]):
    """Lists containers newest first; the state cell is coloured by state.

    The CPU % and MEM USAGE cells of running containers come from the stats feed's recent
    samples, each with a 5-character trend of the last 30 s; the others show "-". They are
    plain text in the row's colours, so a figure changing costs one cell on the terminal.
    PORTS reads as docker ps writes it; when the table is too narrow for every column,
    columns give way in the order plan_layout says, and come back when there is room.
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "NAME"),
        ("image", "IMAGE"),
        ("state", "STATE"),
        ("cpu", "CPU %"),
        ("memory", "MEM USAGE"),
        ("status", "STATUS"),
        ("ports", "PORTS"),
        ("created", "CREATED"),
        ("id", "CONTAINER ID"),
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "containertable--running",
        "containertable--paused",
        "containertable--created",
        "containertable--stopped",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._figures: dict[str, tuple[Text, Text]] = {}
        """The CPU and memory cells each row shows (or will, once added)."""
        self.layout_plan = FULL_LAYOUT
        """What gives way to the width now."""
        self._last_shown: tuple[Sequence[ContainerSummary], float,
                                Mapping[str, Sequence[StatsSample]]] | None = None  # fmt: skip

    def show(
        self,
        containers: Sequence[ContainerSummary],
        now: float,
        recent: Mapping[str, Sequence[StatsSample]] | None = None,
        fresh: Collection[str] | None = None,
    ) -> None:
        """Display `containers` (any order), with ages relative to `now` (Unix seconds).

        Args:
            containers: What the engine listed.
            now: The current Unix time.
            recent: The stats feed's samples per container ID, oldest first.
            fresh: The rows whose figures are brought up to date (None: all). The others
                keep the figures they show until `update_figures` reaches them, so a
                list of hundreds costs the rows in sight, not all of them.
        """
        ordered = sorted(containers, key=lambda c: (-c.created, c.name))
        samples = recent or {}
        self._last_shown = (containers, now, samples)
        rows = [(c.id, c, self._cells_for(c, now, samples.get(c.id), fresh)) for c in ordered]
        self.layout_plan = self._plan(rows)
        if self.layout_plan.ports != "full":
            rows = [(key, c, self._with_ports(cells, c)) for key, c, cells in rows]
        self.show_columns([key for key, _ in self.COLUMNS
                           if key not in self.layout_plan.hidden])  # fmt: skip
        self.sync(rows)
        self._figures = {key: self._figures[key] for key in self._items}

    def on_resize(self) -> None:
        """Another width: columns may give way or come back."""
        if self._last_shown is not None:
            containers, now, samples = self._last_shown
            self.show(containers, now, samples, set(self.visible_keys()))

    def _plan(self, rows: Sequence[tuple[str, ContainerSummary, tuple[Text, ...]]]) -> Layout:
        widths = {key: len(label) for key, label in self.COLUMNS}
        for _, _, cells in rows:
            for (column, _), cell in zip(self.COLUMNS, cells, strict=True):
                widths[column] = max(widths[column], cell.cell_len)
        if self.marked:
            widths["name"] += len(MARK)
        compact = max((len(", ".join(compact_ports(c.ports))) for _, c, _ in rows), default=0)
        return plan_layout(widths, compact, self.scrollable_content_region.width,
                           any(c.ports for _, c, _ in rows))  # fmt: skip

    def _with_ports(self, cells: tuple[Text, ...], container: ContainerSummary) -> tuple[Text, ...]:
        mappings = compact_ports(container.ports)
        plan = self.layout_plan
        text = fit_ports(mappings, plan.ports_width) if plan.ports == "fit" else ", ".join(mappings)
        index = [key for key, _ in self.COLUMNS].index("ports")
        return (*cells[:index], Text(text), *cells[index + 1:])

    def update_figures(
        self, recent: Mapping[str, Sequence[StatsSample]], keys: Iterable[str]
    ) -> None:
        """Bring the CPU % and MEM USAGE cells of the rows `keys` up to date."""
        for key in keys:
            container = self._items.get(key)
            samples = recent.get(key)
            if container is None or not container.is_running or not samples:
                continue
            cpu, memory = self._figures[key] = _figure_cells(samples)
            self.set_cells(key, {"cpu": cpu, "memory": memory})

    def _cells_for(
        self,
        container: ContainerSummary,
        now: float,
        samples: Sequence[StatsSample] | None,
        fresh: Collection[str] | None,
    ) -> tuple[Text, ...]:
        component = STATE_COMPONENTS.get(container.state, "containertable--stopped")
        state_style = self.get_component_rich_style(component, partial=True)
        key = container.id
        if not (container.is_running and samples):
            figures = self._figures[key] = (Text(NO_FIGURES), Text(NO_FIGURES))
        elif fresh is None or key in fresh or key not in self._figures:
            figures = self._figures[key] = _figure_cells(samples)
        else:
            figures = self._figures[key]
        return (
            Text(container.name),
            Text(container.image),
            Text(container.state, style=state_style),
            *figures,
            Text(container.status),
            Text(docker_ports(container.ports)),
            Text(age(container.created, now)),
            Text(short_id(container.id)),
        )
