"""Provides SeriesRing: the last 15 minutes of one container's figures, in compact arrays.

One sample a second for 900 seconds is 900 slots per series. Each series is an `array`
of machine numbers, never a dict per sample, kept as small as its values allow while
staying exact:
- times are 4-byte signed milliseconds from a base time of the ring (the API gives
  times to the millisecond);
- integer series start in 4-byte slots and move to 8-byte ones the first time a value
  does not fit (a container using more than 4 GiB pays 8 bytes for that series);
- a series every kept sample has the same value for (the limits, an idle container's
  counters) is one slot, made a slot per sample when a different value comes.
A container's whole history stays under 100 KB even with every series in 8-byte slots.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

HISTORY_SECONDS = 900
"""How much history the engine keeps: 15 minutes at one sample a second."""

SERIES: tuple[tuple[str, str], ...] = (
    ("cpu_percent", "f"),
    ("memory_used", "I"),
    ("memory_limit", "I"),
    ("net_rx", "I"),
    ("net_tx", "I"),
    ("blk_read", "I"),
    ("blk_write", "I"),
    ("pids", "I"),
    ("pids_limit", "I"),
)
"""The series kept per container and the array type codes they start with; network and
block IO are cumulative byte counters (rates are their differences)."""
HOST_SERIES: tuple[tuple[str, str], ...] = (
    ("cpu_percent", "f"),
    ("memory_used", "I"),
    ("memory_total", "I"),
)
"""The series kept for the host."""

WIDER = {"I": "q", "i": "q"}
"""The type code an integer series moves to when a value does not fit its slots."""


class SeriesRing:
    """A fixed-size ring of samples: the newest overwrite the oldest once it is full.

    Times are kept as milliseconds since `_base_ms`. When one does not fit a 4-byte slot
    (24.8 days after the base, or the wall clock went back), the base moves to that
    sample's time and the kept times are rewritten from it; if the kept samples themselves
    span more than 24.8 days (the clock jumped), the times go to 8-byte slots until the
    ring has turned once with them fitting again.
    """

    def __init__(
        self, capacity: int = HISTORY_SECONDS, series: tuple[tuple[str, str], ...] = SERIES
    ) -> None:
        self.capacity = capacity
        self._base_ms = 0
        self._times = array("i", bytes(4 * capacity))
        self._series: dict[str, array[Any]] = {name: array(code) for name, code in series}
        """Each series: empty while the ring is, one slot while every kept sample has the
        same value, else a slot per sample."""
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, time: float, values: dict[str, float]) -> None:
        """Add a sample; a series missing from `values` gets 0."""
        slot = self._next
        if self._count == 0:
            self._base_ms = _milliseconds(time)
        self._put_time(slot, _milliseconds(time))
        for name, series in self._series.items():
            value = values.get(name, 0)
            self._put(name, slot, float(value) if series.typecode == "f" else int(value))
        self._next = (slot + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def _put_time(self, slot: int, ms: int) -> None:
        if slot == 0 and self._times.typecode != "i":
            self._rebase(ms, slot)  # once a turn, so 8-byte times go back to 4 bytes
        try:
            self._times[slot] = ms - self._base_ms
        except OverflowError:
            self._rebase(ms, slot)
            self._times[slot] = ms - self._base_ms

    def _rebase(self, ms: int, overwritten: int) -> None:
        """Count times from `ms`, in 4-byte slots if every time kept beyond the slot about
        to be overwritten fits them."""
        kept = {slot: self._base_ms + self._times[slot]
                for slot in self._slots() if slot != overwritten}  # fmt: skip
        self._base_ms = ms
        for code in ("i", "q"):
            times = array(code, bytes(array(code).itemsize * self.capacity))
            try:
                for slot, kept_ms in kept.items():
                    times[slot] = kept_ms - ms
            except OverflowError:
                continue
            self._times = times
            return

    def _put(self, name: str, slot: int, value: float) -> None:
        series = self._series[name]
        try:
            if len(series) == self.capacity:
                series[slot] = value
            elif self._count == 0:
                self._series[name] = array(series.typecode, [value])
            else:
                alone = array(series.typecode, [value])  # the value as the slots keep it
                if alone != series:
                    self._series[name] = series * self.capacity
                    self._series[name][slot] = value
        except OverflowError:
            if series.typecode not in WIDER:
                raise
            self._series[name] = array(WIDER[series.typecode], series)
            self._put(name, slot, value)

    def _slots(self) -> Iterator[int]:
        start = (self._next - self._count) % self.capacity
        for offset in range(self._count):
            yield (start + offset) % self.capacity

    def _time(self, slot: int) -> float:
        """A kept time in seconds, rounded to the millisecond as it was stored."""
        return (self._base_ms + self._times[slot]) / 1000

    @property
    def last_time(self) -> float | None:
        """When the newest sample was taken, None while empty."""
        return self._time((self._next - 1) % self.capacity) if self._count else None

    def since(self, time: float) -> dict[str, list[Any]]:
        """The samples taken after `time`, oldest first, as columns: "time" plus each series.

        Sample times are compared as returned: rounded to the millisecond.
        """
        slots = [slot for slot in self._slots() if self._time(slot) > time]
        columns: dict[str, list[Any]] = {"time": [self._time(s) for s in slots]}
        for name, series in self._series.items():
            column = [series[s] for s in slots] if len(series) > 1 else [*series] * len(slots)
            columns[name] = [round(v, 2) for v in column] if series.typecode == "f" else column
        return columns

    def nbytes(self) -> int:
        """Bytes the ring's arrays take."""
        arrays: list[array[Any]] = [self._times, *self._series.values()]
        return sum(a.itemsize * len(a) for a in arrays)


def _milliseconds(time: float) -> int:
    """`time` (seconds) in whole milliseconds, as round(time, 3) gives it."""
    return round(round(time, 3) * 1000)
