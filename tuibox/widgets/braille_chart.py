"""Provides BrailleChart: a filled area chart in braille dots, one styled segment per row."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence

from rich.segment import Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

DOTS_ACROSS = 2
"""Dot columns per cell: each column is one value."""
DOTS_DOWN = 4
"""Dot rows per cell."""
_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
"""The bit of each dot in U+2800 + bits, by (dot column, dot row) within a cell."""
_BRAILLE_BASE = 0x2800
NICE_STEPS = (1.0, 2.0, 5.0, 10.0)


class ChartSeries:
    """A bounded run of values, oldest first: its owner appends, charts only read it.

    `revision` grows with every change, so a chart knows when its drawing is stale
    without being told what changed; `appended` counts every value ever added, which fixes
    the dot column each value is drawn in (see `braille_rows`'s `phase`).
    """

    def __init__(self, maxlen: int) -> None:
        """Keep at most `maxlen` values (older ones fall off the left)."""
        self._values: deque[float] = deque(maxlen=maxlen)
        self.revision = 0
        self.appended = 0

    def __len__(self) -> int:
        return len(self._values)

    def append(self, value: float) -> None:
        """Add the newest value."""
        self._values.append(value)
        self.revision += 1
        self.appended += 1

    def extend(self, values: Iterable[float]) -> None:
        """Add values, oldest first."""
        added = list(values)
        self._values.extend(added)
        self.revision += 1
        self.appended += len(added)

    def clear(self) -> None:
        """Drop every value."""
        self._values.clear()
        self.revision += 1

    @property
    def latest(self) -> float | None:
        """The newest value, None when there is none."""
        return self._values[-1] if self._values else None

    def tail(self, count: int) -> list[float]:
        """The newest `count` values (fewer when fewer are kept), oldest first."""
        if count <= 0:
            return []
        return list(self._values)[-count:]


def nice_ceiling(value: float, floor: float = 0.0) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above `value` (at least `floor`), for an axis top.

    Args:
        value: The highest value to fit.
        floor: The least top to return, so a quiet series does not fill the chart.

    Returns:
        A round number; `floor` (or 1.0 when it is 0) for values at or below zero.
    """
    value = max(value, floor)
    if value <= 0:
        return floor or 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in NICE_STEPS:
        top = step * magnitude
        if top >= value * (1 - 1e-9):
            return top
    return 10.0 * magnitude  # pragma: no cover - the last step always fits


def braille_rows(values: Sequence[float], width: int, height: int, maximum: float) -> list[str]:
    """Draw `values` as a filled area, newest at the right, two values to a cell.

    A value of `maximum` or more fills its dot column; any value above zero shows at least
    one dot, so activity never vanishes. Empty cells are spaces (1 byte, not 3).

    Args:
        values: The series, oldest first; only the newest `2 x width` are drawn.
        width: Cells across.
        height: Cells down (4 dot rows each).
        maximum: The value at the top of the chart.

    Returns:
        `height` strings of `width` characters, top row first.
    """
    if width <= 0 or height <= 0:
        return []
    cells = [[0] * width for _ in range(height)]
    dots = height * DOTS_DOWN
    shown = list(values[-width * DOTS_ACROSS :])
    first_column = width * DOTS_ACROSS - len(shown)
    for offset, value in enumerate(shown):
        level = _level(value, maximum, dots)
        column = first_column + offset
        cell_x, dot_x = divmod(column, DOTS_ACROSS)
        for dot_row in range(dots - level, dots):
            cell_y, dot_y = divmod(dot_row, DOTS_DOWN)
            cells[cell_y][cell_x] |= _BITS[dot_x][dot_y]
    return ["".join(chr(_BRAILLE_BASE + bits) if bits else " " for bits in row) for row in cells]


def changed_span(old: str, new: str) -> tuple[int, int] | None:
    """The cells from the first to past the last that differ between two rows; None if equal.

    A chart repaints only this span of a row.
    """
    if old == new:
        return None
    if len(old) != len(new):
        return 0, max(len(old), len(new))
    start = next(x for x, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
    end = len(new) - next(x for x, (a, b) in enumerate(zip(old[::-1], new[::-1], strict=True))
                          if a != b)  # fmt: skip
    return start, end


def _level(value: float, maximum: float, dots: int) -> int:
    """Dots lit for `value` in a column of `dots`."""
    if maximum <= 0 or value <= 0 or math.isnan(value):
        return 0
    return max(1, min(dots, round(value / maximum * dots)))


class BrailleChart(Widget):
    """A chart of one ChartSeries, redrawn only when the series, the top or the size changes.

    Each row is one segment in one style (the widget's colour and background), so a 1 Hz
    update costs about 3 bytes a changed cell plus a colour escape a row, and one value in
    two costs a single cell a row (see `visible_values`). The owner calls `update_chart()`
    after appending (it repaints only the cells that changed; tuibox.partial_output has
    Textual send only those); a resize redraws on its own. With `maximum` None the chart
    scales itself to the values it shows.
    """

    DEFAULT_CSS = """
    BrailleChart {
        height: 2;
    }
    """

    def __init__(
        self,
        series: ChartSeries,
        *,
        maximum: float | None = None,
        floor: float = 0.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Build the chart.

        Args:
            series: The values to draw (read only).
            maximum: The value at the top; None to autoscale to a round number.
            floor: The least top when autoscaling.
            name: The widget's name.
            id: The widget's ID.
            classes: The widget's CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.series = series
        self.maximum = maximum
        self.floor = floor
        self._drawn_key: tuple[int, int, int, float] | None = None
        self._rows: list[str] = []

    def update_chart(self) -> bool:
        """Redraw from the series, repainting only the cells whose dots changed.

        A steady series (an idle container's CPU, a constant rate) then costs no output,
        and the empty rows above a low one none either.

        Returns:
            Whether any row changed.
        """
        before = self._rows if self._drawn_key is not None else []
        rows = self.rows
        if [len(row) for row in before] != [len(row) for row in rows]:  # drawn anew, or resized
            self.refresh()
            return True
        changed = False
        for y, (old, new) in enumerate(zip(before, rows, strict=True)):
            span = changed_span(old, new)
            if span is not None:
                self.refresh(Region(span[0], y, span[1] - span[0], 1))
                changed = True
        return changed

    def set_maximum(self, maximum: float | None) -> None:
        """Change the top of the chart (None: autoscale); redraws only if it changed."""
        if maximum != self.maximum:
            self.maximum = maximum
            self.refresh()

    @property
    def phase(self) -> int:
        """1 while the newest value is alone in its cell (and held in the cell's right column)."""
        return self.series.appended % DOTS_ACROSS

    def visible_values(self) -> list[float]:
        """The values drawn, oldest first: as many as the width has room for.

        Each value keeps its place in its cell: a new cell starts on every other value,
        and until the next value comes its right column holds the newest value again. So
        one value in two changes only the newest cell, and a steady series changes nothing.
        """
        values = self.series.tail(self.size.width * DOTS_ACROSS - self.phase)
        if self.phase and values:
            values.append(values[-1])
        return values

    @property
    def scale(self) -> float:
        """The value at the top of the chart as drawn now."""
        if self.maximum is not None and self.maximum > 0:
            return self.maximum
        return nice_ceiling(max(self.visible_values(), default=0.0), self.floor)

    @property
    def rows(self) -> list[str]:
        """The chart's text, top row first, for its current size and values."""
        width, height = self.size
        scale = self.scale
        key = (width, height, self.series.revision, scale)
        if key != self._drawn_key:
            self._rows = braille_rows(self.visible_values(), width, height, scale)
            self._drawn_key = key
        return self._rows

    def render_line(self, y: int) -> Strip:
        """One row of dots as a single segment."""
        width = self.size.width
        rows = self.rows
        text = rows[y] if 0 <= y < len(rows) else " " * width
        return Strip([Segment(text, self.rich_style)], width)
