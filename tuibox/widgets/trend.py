"""Provides pure block-character drawings for table cells: inline trends and ctop-style bars."""

from __future__ import annotations

import math
from collections.abc import Iterable

TREND_LEVELS = "▁▂▃▄▅▆▇█"
"""One block per eighth of the scale; the lowest still shows "a sample, near zero"."""
BAR_EIGHTHS = " ▏▎▍▌▋▊▉"
"""The partial last block of a bar, by eighths of a cell."""
TREND_SECONDS = 30.0
TREND_WIDTH = 5
"""A trend is 5 characters for the last 30 s: one per 6 s, the mean of its samples."""


def slot_means(
    points: Iterable[tuple[float, float]],
    *,
    end: float,
    span: float = TREND_SECONDS,
    width: int = TREND_WIDTH,
) -> list[float | None]:
    """Split the `span` seconds up to `end` into `width` equal slots and average each.

    Args:
        points: (Unix time, value) pairs in any order; those outside the span are ignored.
        end: The end of the last slot (the newest sample's time).
        span: Seconds covered, oldest slot first.
        width: How many slots.

    Returns:
        The mean of the values in each slot (time in (start, stop]), None for an empty slot.
    """
    if width <= 0 or span <= 0:
        return []
    step = span / width
    start = end - span
    sums = [0.0] * width
    counts = [0] * width
    for time, value in points:
        if not start < time <= end:
            continue
        slot = min(width - 1, max(0, math.ceil((time - start) / step) - 1))
        sums[slot] += value
        counts[slot] += 1
    return [total / count if count else None for total, count in zip(sums, counts, strict=True)]


def level(value: float, top: float) -> str:
    """The block for `value` on a scale from 0 to `top` (clipped at both ends)."""
    fraction = min(1.0, max(0.0, value / top)) if top > 0 else 0.0
    return TREND_LEVELS[min(len(TREND_LEVELS) - 1, int(fraction * len(TREND_LEVELS)))]


def trend(
    points: Iterable[tuple[float, float]],
    *,
    end: float,
    top: float,
    span: float = TREND_SECONDS,
    width: int = TREND_WIDTH,
) -> str:
    """A fixed-width trend such as "▂▃▅▇▅": one block per slot, a space where no sample fell.

    Args:
        points: (Unix time, value) pairs.
        end: The newest sample's time (the right edge).
        top: The value drawn as a full block; values above it are clipped.
        span: Seconds covered.
        width: Characters (slots) in the trend.

    Returns:
        Exactly `width` characters.
    """
    means = slot_means(points, end=end, span=span, width=width)
    return "".join(" " if mean is None else level(mean, top) for mean in means)


def bar(fraction: float, width: int) -> str:
    """A left-aligned bar `width` cells wide, filled to `fraction` (0 to 1) in eighths.

    Returns:
        Full blocks, one partial block, then spaces: always exactly `width` characters.
    """
    if width <= 0:
        return ""
    eighths = round(min(1.0, max(0.0, fraction)) * width * 8)
    full, partial = divmod(eighths, 8)
    text = "█" * full + (BAR_EIGHTHS[partial] if partial else "")
    return text.ljust(width)
