"""Unit tests: braille drawing, axis rounding, the series the charts read, one chart widget."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region

from tests.conftest import FROZEN_NOW, scripted_sample
from tuibox.widgets.braille_chart import (
    BrailleChart,
    ChartSeries,
    braille_rows,
    changed_span,
    nice_ceiling,
)
from tuibox.widgets.resource_graph import ContainerSeries, binary_size, byte_rate


def test_a_rising_series_fills_dot_by_dot_from_the_bottom() -> None:
    # 4 cells x 2 rows = 8 dot columns of 8 dots; the oldest of the 9 values falls off.
    assert braille_rows([0, 1, 2, 3, 4, 5, 6, 7, 8], width=4, height=2, maximum=8) == [
        "  ⣠⣾",
        "⣠⣾⣿⣿",
    ]


def test_a_short_series_is_right_aligned_clamped_and_never_loses_activity() -> None:
    # full, a trace (one dot), over the top (full), negative (none)
    assert braille_rows([8, 0.01, 100, -3], width=4, height=1, maximum=8) == ["  ⣇⡇"]


def test_empty_cells_are_spaces_and_degenerate_sizes_draw_nothing() -> None:
    assert braille_rows([], width=3, height=2, maximum=1) == ["   ", "   "]
    assert braille_rows([0.0, 0.0], width=1, height=1, maximum=1) == [" "]
    assert braille_rows([5.0], width=2, height=1, maximum=0) == ["  "]
    assert braille_rows([5.0], width=0, height=3, maximum=1) == []
    assert braille_rows([5.0], width=3, height=0, maximum=1) == []


def test_changed_span_covers_the_first_to_the_last_differing_cell() -> None:
    assert changed_span("abcdef", "abcdef") is None
    assert changed_span("abcdef", "abXdeY") == (2, 6)
    assert changed_span("abcdef", "Xbcdef") == (0, 1)
    assert changed_span("abc", "abcd") == (0, 4)


def test_half_the_maximum_fills_half_the_height() -> None:
    rows = braille_rows([50.0] * 8, width=4, height=2, maximum=100)
    assert rows == ["    ", "⣿⣿⣿⣿"]


@pytest.mark.parametrize(
    ("value", "floor", "top"),
    [
        (0.0, 0.0, 1.0),
        (0.0, 100.0, 100.0),
        (60.0, 100.0, 100.0),
        (100.0, 0.0, 100.0),
        (101.0, 0.0, 200.0),
        (150_000.0, 1000.0, 200_000.0),
        (1_000_000.0, 1000.0, 1_000_000.0),
        (0.3, 0.0, 0.5),
        (7.0, 10.0, 10.0),
        (11.0, 10.0, 20.0),
        (4999.0, 0.0, 5000.0),
    ],
)
def test_axis_tops_are_round(value: float, floor: float, top: float) -> None:
    assert nice_ceiling(value, floor) == pytest.approx(top)


def test_chart_series_keeps_the_newest_and_counts_changes() -> None:
    series = ChartSeries(maxlen=3)
    assert series.latest is None and series.tail(5) == []
    series.extend([1.0, 2.0, 3.0, 4.0])
    series.append(5.0)
    assert len(series) == 3
    assert series.tail(2) == [4.0, 5.0]
    assert series.tail(10) == [3.0, 4.0, 5.0]
    assert series.tail(0) == []
    assert series.latest == 5.0
    revision = series.revision
    series.clear()
    assert len(series) == 0 and series.revision > revision


def test_container_series_turns_counters_into_rates_and_skips_old_samples() -> None:
    series = ContainerSeries()
    first = scripted_sample(10, FROZEN_NOW)
    assert series.add(first)
    assert len(series.cpu) == 1 and len(series.net_rx) == 0, "a rate needs two samples"
    later = scripted_sample(12, FROZEN_NOW + 2)  # two seconds later
    assert series.add(later)
    assert series.net_rx.latest == 150_000 and series.net_tx.latest == 40_000
    assert series.blk_read.latest == 1_000_000 and series.blk_write.latest == 250_000
    assert series.memory.latest == (64 + 12) * 1024**2
    assert series.pids.latest == 3 + 12 % 4
    assert not series.add(later), "the same sample again is ignored"
    assert not series.add(first), "an older sample is ignored"
    assert series.extend([later, scripted_sample(13, FROZEN_NOW + 3)]) == 1
    assert len(series.cpu) == 3
    restarted = replace(scripted_sample(1, FROZEN_NOW + 4), net_rx=0)
    series.add(restarted)
    assert series.net_rx.latest == 0, "a counter that went back (a restart) is no traffic"


def test_units_read_like_docker_stats() -> None:
    assert binary_size(512 * 1024**2) == "512MiB"
    assert binary_size(65 * 1024**2) == "65MiB"
    assert binary_size(1000 * 1024**2) == "0.977GiB"
    assert binary_size(512) == "512B"
    assert byte_rate(150_000) == "150kB/s"
    assert byte_rate(1_234_567) == "1.23MB/s"
    assert byte_rate(0) == "0B/s"


class ChartApp(App[None]):
    """One 10 x 2 chart on a series."""

    def __init__(self, series: ChartSeries) -> None:
        super().__init__()
        self.series = series

    def compose(self) -> ComposeResult:
        yield BrailleChart(self.series, maximum=8.0, classes="chart")

    CSS = ".chart { width: 10; height: 2; }"


def _record_repaints(chart: BrailleChart) -> list[tuple[int, int, int]]:
    """Note every region the chart is asked to repaint: (x, y, width)."""
    repainted: list[tuple[int, int, int]] = []
    real_refresh = chart.refresh

    def recording_refresh(*regions: Region, **kwargs: Any) -> Any:
        repainted.extend((r.x, r.y, r.width) for r in regions)
        return real_refresh(*regions, **kwargs)

    chart.refresh = recording_refresh  # type: ignore[method-assign]
    return repainted


async def test_the_widget_sends_one_segment_a_row_and_repaints_only_what_changed() -> None:
    series = ChartSeries(maxlen=100)
    series.extend([0.0] * 20)
    app = ChartApp(series)
    async with app.run_test(size=(20, 4)) as pilot:
        chart = app.query_one(BrailleChart)
        await pilot.pause()
        assert chart.rows == [" " * 10, " " * 10]
        repainted = _record_repaints(chart)
        series.append(0.0)
        assert not chart.update_chart(), "a steady series repaints nothing"
        assert not repainted
        series.append(2.0)  # a quarter of the top: two dots of the last dot column
        assert chart.update_chart()
        assert chart.rows == [" " * 10, " " * 9 + "⢠"]
        assert repainted == [(9, 1, 1)], "only the newest cell of the bottom row"
        strips = [chart.render_line(y) for y in range(2)]
        assert [len(list(strip)) for strip in strips] == [1, 1]
        assert [strip.text for strip in strips] == chart.rows


async def test_a_moving_chart_repaints_one_cell_then_shifts_a_cell_every_other_value() -> None:
    series = ChartSeries(maxlen=100)
    series.extend([float(i % 9) for i in range(20)])  # a rising saw; the last cell full
    app = ChartApp(series)
    async with app.run_test(size=(20, 4)) as pilot:
        chart = app.query_one(BrailleChart)
        await pilot.pause()
        repainted = _record_repaints(chart)
        series.append(8.0)  # a new cell at the right: every cell of a changed row moves
        assert chart.update_chart()
        assert chart.phase == 1
        assert chart.visible_values()[-2:] == [8.0, 8.0], "the newest value holds its cell"
        assert [row[-1] for row in chart.rows] == ["⣿", "⣿"]
        assert any(width == 10 for _, _, width in repainted)
        assert all(x + width == 10 for x, _, width in repainted)
        repainted.clear()
        series.append(2.0)  # fills that cell's right column: only the newest cell changes
        assert chart.update_chart()
        assert chart.phase == 0
        assert sorted(repainted) == [(9, 0, 1), (9, 1, 1)]
        assert [row[-1] for row in chart.rows] == ["⡇", "⣧"]  # 8 left, 2 right
        for _ in range(30):  # a steady series, wherever a cell starts, repaints nothing
            series.append(2.0)
            chart.update_chart()
        repainted.clear()
        series.append(2.0)
        assert not chart.update_chart() and not repainted
