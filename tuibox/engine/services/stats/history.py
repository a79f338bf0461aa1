"""Provides SeriesRing: the last 15 minutes of one container's figures, in compact arrays.

One sample a second for 900 seconds is 900 slots per series; each series is an `array`
of machine numbers (8 bytes, 4 for the CPU percentage), never a dict per sample, so a
container's whole history stays under 100 KB.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

HISTORY_SECONDS = 900
"""How much history the engine keeps: 15 minutes at one sample a second."""

SERIES: tuple[tuple[str, str], ...] = (
    ("cpu_percent", "f"),
    ("memory_used", "q"),
    ("memory_limit", "q"),
    ("net_rx", "q"),
    ("net_tx", "q"),
    ("blk_read", "q"),
    ("blk_write", "q"),
    ("pids", "q"),
    ("pids_limit", "q"),
)
"""The series kept per container and their array type codes; network and block IO are
cumulative byte counters (rates are their differences)."""
HOST_SERIES: tuple[tuple[str, str], ...] = (
    ("cpu_percent", "f"),
    ("memory_used", "q"),
    ("memory_total", "q"),
)
"""The series kept for the host."""


class SeriesRing:
    """A fixed-size ring of samples: the newest overwrite the oldest once it is full."""

    def __init__(
        self, capacity: int = HISTORY_SECONDS, series: tuple[tuple[str, str], ...] = SERIES
    ) -> None:
        self.capacity = capacity
        self._times = array("d", bytes(8 * capacity))
        self._series: dict[str, array[Any]] = {
            name: array(code, bytes(array(code).itemsize * capacity)) for name, code in series
        }
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, time: float, values: dict[str, float]) -> None:
        """Add a sample; a series missing from `values` gets 0."""
        slot = self._next
        self._times[slot] = time
        for name, series in self._series.items():
            value = values.get(name, 0)
            if series.typecode == "f":
                series[slot] = float(value)
            else:
                series[slot] = int(value)
        self._next = (slot + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def _slots(self) -> Iterator[int]:
        start = (self._next - self._count) % self.capacity
        for offset in range(self._count):
            yield (start + offset) % self.capacity

    @property
    def last_time(self) -> float | None:
        """When the newest sample was taken, None while empty."""
        return self._times[(self._next - 1) % self.capacity] if self._count else None

    def since(self, time: float) -> dict[str, list[Any]]:
        """The samples taken after `time`, oldest first, as columns: "time" plus each series."""
        slots = [slot for slot in self._slots() if self._times[slot] > time]
        columns: dict[str, list[Any]] = {"time": [round(self._times[s], 3) for s in slots]}
        for name, series in self._series.items():
            columns[name] = [round(series[s], 2) if series.typecode == "f" else series[s]
                             for s in slots]  # fmt: skip
        return columns

    def nbytes(self) -> int:
        """Bytes the ring's arrays take."""
        arrays: list[array[Any]] = [self._times, *self._series.values()]
        return sum(a.itemsize * len(a) for a in arrays)
