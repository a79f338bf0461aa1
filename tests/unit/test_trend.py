"""Tests the block-character drawings of tuibox.widgets.trend and the figures' formats."""

from __future__ import annotations

import pytest

from tuibox.widgets.format import binary_size, memory_pair, percent
from tuibox.widgets.trend import TREND_LEVELS, bar, level, slot_means, trend

END = 1_750_000_000.0
GIB = 1024**3
MIB = 1024**2


def series(values: list[float]) -> list[tuple[float, float]]:
    """One value a second, the last at END."""
    return [(END - len(values) + 1 + i, v) for i, v in enumerate(values)]


def test_slots_cover_the_span_up_to_the_end_oldest_first() -> None:
    points = [(END - 30, 99.0), (END - 29, 1.0), (END - 24, 3.0), (END - 23, 10.0), (END, 7.0)]
    # (END-30 is outside: slots are (start, stop].)
    assert slot_means(points, end=END, span=30, width=5) == [2.0, 10.0, None, None, 7.0]


def test_slot_means_ignore_the_future_and_order() -> None:
    points = [(END + 1, 50.0), (END, 4.0), (END - 1, 2.0)]
    assert slot_means(points, end=END, span=6, width=1) == [3.0]
    assert slot_means(points, end=END, span=0, width=5) == []


@pytest.mark.parametrize(
    ("value", "block"),
    [(0, "▁"), (12.4, "▁"), (12.5, "▂"), (50, "▅"), (87.4, "▇"), (87.5, "█"), (100, "█"),
     (250, "█"), (-5, "▁")],
)  # fmt: skip
def test_level_has_one_block_per_eighth_clipped(value: float, block: str) -> None:
    assert level(value, top=100) == block


def test_level_of_a_zero_scale_is_the_lowest_block() -> None:
    assert level(5, top=0) == TREND_LEVELS[0]


def test_trend_of_a_ramp_rises_and_has_fixed_width() -> None:
    ramp = series([float(i) for i in range(1, 31)])  # 1..30 over 30 s
    assert trend(ramp, end=END, top=30) == "▁▃▅▆█"
    assert len(trend(ramp[-3:], end=END, top=30)) == 5


def test_trend_leaves_slots_without_samples_blank() -> None:
    assert trend(series([50.0, 50.0]), end=END, top=100) == "    ▅"
    assert trend([], end=END, top=100) == "     "


def test_trend_of_a_flat_series_is_flat() -> None:
    assert trend(series([40.0] * 60), end=END, top=100) == "▄▄▄▄▄"


@pytest.mark.parametrize(
    ("fraction", "width", "text"),
    [(0, 4, "    "), (0.5, 4, "██  "), (1 / 32, 4, "▏   "), (0.3, 4, "█▎  "), (1, 4, "████"),
     (1.7, 4, "████"), (-1, 3, "   "), (0.5, 0, "")],
)  # fmt: skip
def test_bar_fills_eighths_of_cells_and_keeps_its_width(
    fraction: float, width: int, text: str
) -> None:
    assert bar(fraction, width) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0%"), (0.4, "0%"), (23.5, "24%"), (37, "37%"), (150.2, "150%"),
                        (-1, "0%")],
)  # fmt: skip
def test_percent_is_whole(value: float, text: str) -> None:
    assert percent(value) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (512, "512B"), (1000, "1.0KiB"), (65 * MIB, "65MiB"), (9.96 * MIB, "10MiB"),
     (1.5 * GIB, "1.5GiB"), (999 * MIB, "999MiB"), (1023.9 * MIB, "1.0GiB")],
)  # fmt: skip
def test_binary_size_keeps_three_digits_at_most(size: float, text: str) -> None:
    assert binary_size(size) == text
    assert len(text) <= 6


@pytest.mark.parametrize(
    ("used", "total", "text"),
    [(5 * GIB, 24 * GIB, "5.0/24 GiB"), (512 * MIB, 24 * GIB, "0.5/24 GiB"),
     (100 * MIB, 512 * MIB, "100/512 MiB"), (0, 0, "0.0/0.0 B")],
)  # fmt: skip
def test_memory_pair_uses_the_totals_unit(used: float, total: float, text: str) -> None:
    assert memory_pair(used, total) == text
