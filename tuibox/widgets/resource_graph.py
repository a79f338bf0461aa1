"""Provides ResourceGraph: one named figure with its current values, axis and braille charts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tuibox import humanize
from tuibox.client.stats_models import StatsSample
from tuibox.widgets.braille_chart import BrailleChart, ChartSeries, nice_ceiling

HISTORY_SAMPLES = 900
"""Samples kept per series: the 15 minutes at 1 s that tuibox's engine keeps."""
BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
NO_VALUE = "--"
"""Shown for a figure not known yet (as `docker stats` does)."""


def binary_size(size_bytes: float) -> str:
    """Memory as `docker stats` writes it, in binary units, e.g. "63.5MiB", "512MiB"."""
    size = float(size_bytes)
    unit_index = 0
    while size >= 1000.0 and unit_index < len(BINARY_UNITS) - 1:
        size /= 1024.0
        unit_index += 1
    return f"{size:.3g}{BINARY_UNITS[unit_index]}"


def byte_rate(bytes_per_second: float) -> str:
    """A transfer rate in decimal units, as `docker stats` sizes its I/O, e.g. "150kB/s"."""
    return f"{humanize.human_size(bytes_per_second, precision=3)}/s"


def percent_axis(value: float) -> str:
    """An axis top in percent, e.g. "200%"."""
    return f"{value:g}%"


def count_axis(value: float) -> str:
    """An axis top for a count, e.g. "64"."""
    return f"{value:g}"


def _rate(now: int, before: int, seconds: float) -> float:
    """Bytes a second between two cumulative counters (0 when a counter was reset)."""
    return max(0, now - before) / seconds


class ContainerSeries:
    """One container's figures as chart series, fed StatsSamples oldest first.

    A plain class the graphs only read. Network and block figures arrive as cumulative
    counters; the series keep the rate between consecutive samples (so they hold one value
    fewer). A sample no newer than the last one is ignored, so history and live samples
    may overlap.
    """

    def __init__(self, maxlen: int = HISTORY_SAMPLES) -> None:
        """Keep the newest `maxlen` values of each series."""
        self.cpu = ChartSeries(maxlen)
        self.memory = ChartSeries(maxlen)
        self.net_rx = ChartSeries(maxlen)
        self.net_tx = ChartSeries(maxlen)
        self.blk_read = ChartSeries(maxlen)
        self.blk_write = ChartSeries(maxlen)
        self.pids = ChartSeries(maxlen)
        self.last: StatsSample | None = None

    def add(self, sample: StatsSample) -> bool:
        """Append one sample; False (and nothing changes) when it is not newer than the last."""
        last = self.last
        if last is not None and sample.time <= last.time:
            return False
        self.cpu.append(sample.cpu_percent)
        self.memory.append(float(sample.memory_used))
        self.pids.append(float(sample.pids))
        if last is not None:
            seconds = sample.time - last.time
            self.net_rx.append(_rate(sample.net_rx, last.net_rx, seconds))
            self.net_tx.append(_rate(sample.net_tx, last.net_tx, seconds))
            self.blk_read.append(_rate(sample.blk_read, last.blk_read, seconds))
            self.blk_write.append(_rate(sample.blk_write, last.blk_write, seconds))
        self.last = sample
        return True

    def extend(self, samples: Iterable[StatsSample]) -> int:
        """Append samples oldest first; returns how many were new."""
        return sum(1 for sample in samples if self.add(sample))


@dataclass(frozen=True)
class Figures:
    """What a ResourceGraph shows besides its dots."""

    values: tuple[str, ...]
    """The current value of each series, e.g. ("150kB/s", "40kB/s")."""
    detail: str = ""
    """One more line under the values, e.g. "of 2 cores"."""
    maximum: float | None = None
    """The top of the axis; None to fit the values shown to a round number."""


class AxisLabels(Widget):
    """The value axis beside a chart: its top value and unit, 0 at the bottom."""

    DEFAULT_CSS = """
    AxisLabels {
        width: 9;
        height: 100%;
    }
    """

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.top_label = ""

    def show(self, top_label: str) -> None:
        """Label the top of the axis (repaints only when the label changes)."""
        if top_label != self.top_label:
            self.top_label = top_label
            self.refresh()

    def render_line(self, y: int) -> Strip:
        """The top label, the axis line, or the zero label, as one segment."""
        width, height = self.size
        if y == 0:
            text = f"{self.top_label}┤"
        elif y == height - 1:
            text = "0┤"
        else:
            text = "│"
        return Strip([Segment(text.rjust(width)[-width:], self.rich_style)], width)


class ResourceGraph(Widget):
    """A named figure: per series a row of legend, value axis and braille chart.

    The first row's legend holds the name and a detail line too. The charts of one graph
    share their scale, so two series (rx and tx) compare at a glance. The owner calls
    `show` when new samples are in the series; a resize rescales on its own.
    """

    DEFAULT_CSS = """
    ResourceGraph {
        height: 1fr;
    }
    ResourceGraph > .graph-row {
        height: 1fr;
    }
    ResourceGraph .graph-legend {
        width: 20;
        height: 100%;
    }
    ResourceGraph .graph-legend > Static {
        height: 1;
    }
    ResourceGraph BrailleChart {
        width: 1fr;
        height: 100%;
    }
    """

    def __init__(
        self,
        title: str,
        series: Sequence[tuple[str, ChartSeries]],
        *,
        axis_label: Callable[[float], str],
        floor: float = 0.0,
        id: str | None = None,
    ) -> None:
        """Build the graph.

        Args:
            title: The figure's name, e.g. "Network".
            series: (label, values) per chart, top first; the label prefixes its value.
            axis_label: Writes the axis top with its unit, e.g. `byte_rate`.
            floor: The least axis top when fitting the values.
            id: The widget's ID.
        """
        super().__init__(id=id)
        self.heading = title
        self.labels = [label for label, _ in series]
        self.series = [values for _, values in series]
        self.axis_label = axis_label
        self.floor = floor
        self.figures = Figures(values=(NO_VALUE,) * len(series))
        self._legend_lines = [Static("", classes="graph-value", markup=False) for _ in series]
        self._legend_lines.append(Static("", classes="graph-detail", markup=False))
        self._shown: list[str | None] = [None] * len(self._legend_lines)

    def compose(self) -> ComposeResult:
        """Per series a row: its legend (the name and detail on the first), axis and chart."""
        *value_lines, detail_line = self._legend_lines
        for index, values in enumerate(self.series):
            with Horizontal(classes="graph-row"):
                with Vertical(classes="graph-legend"):
                    if index == 0:
                        yield Static(self.heading, classes="graph-name", markup=False)
                    yield value_lines[index].add_class(f"-series-{index}")
                    if index == 0:
                        yield detail_line
                yield AxisLabels(classes="graph-axis")
                yield BrailleChart(values, classes=f"-series-{index}")

    def on_mount(self) -> None:
        """Show the empty figures."""
        self.show(self.figures)

    @property
    def charts(self) -> list[BrailleChart]:
        """The charts, top first."""
        return list(self.query(BrailleChart).results(BrailleChart))

    @property
    def legend(self) -> list[str]:
        """The legend lines as shown: name, values, detail."""
        return [self.heading, *(line or "" for line in self._shown)]

    def show(self, figures: Figures) -> None:
        """Show new current values and redraw the charts from their series."""
        self.figures = figures
        labelled = zip(self.labels, figures.values, strict=True)
        lines = [f"{label} {value}".strip() for label, value in labelled]
        for index, line in enumerate([*lines, figures.detail]):
            if self._shown[index] != line:
                self._shown[index] = line
                self._legend_lines[index].update(line, layout=False)
        self._rescale()
        for chart in self.charts:
            chart.update_chart()

    def on_resize(self) -> None:
        """Give the charts equal heights and fit the scale to the new width."""
        rows = list(self.query(".graph-row"))
        height = max(1, self.size.height // max(1, len(rows)))
        for row in rows:
            row.styles.height = height
        self._rescale()

    def _rescale(self) -> None:
        top = self.figures.maximum
        charts = self.charts
        if top is None or top <= 0:
            peak = max((max(c.visible_values(), default=0.0) for c in charts), default=0.0)
            top = nice_ceiling(peak, self.floor)
        for chart in charts:
            chart.set_maximum(top)
        label = self.axis_label(top)
        for axis in self.query(AxisLabels).results(AxisLabels):
            axis.show(label)
