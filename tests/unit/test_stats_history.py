"""SeriesRing: exact values from compact slots (4-byte, one-slot, 8-byte when needed)."""

from __future__ import annotations

import random
from array import array
from collections import deque
from typing import Any

from tuibox.engine.services.stats.history import HISTORY_SECONDS, SERIES, SeriesRing

DAY = 86_400.0
INTEGER_SERIES = [name for name, code in SERIES if code != "f"]


class Model:
    """What a ring must return: the last `capacity` samples as given, times to the ms."""

    def __init__(self, capacity: int) -> None:
        self.samples: deque[tuple[float, dict[str, float]]] = deque(maxlen=capacity)

    def append(self, time: float, values: dict[str, float]) -> None:
        self.samples.append((time, values))

    def since(self, time: float) -> dict[str, list[Any]]:
        kept = [(round(t, 3), v) for t, v in self.samples if round(t, 3) > time]
        columns: dict[str, list[Any]] = {"time": [t for t, _ in kept]}
        for name, code in SERIES:
            if code == "f":  # a float32 slot, sent to 2 decimals
                columns[name] = [round(array("f", [v.get(name, 0)])[0], 2) for _, v in kept]
            else:
                columns[name] = [int(v.get(name, 0)) for _, v in kept]
        return columns


def both(capacity: int) -> tuple[SeriesRing, Model]:
    return SeriesRing(capacity), Model(capacity)


def append(ring: SeriesRing, model: Model, time: float, values: dict[str, float]) -> None:
    ring.append(time, values)
    model.append(time, values)


def time_code(ring: SeriesRing) -> str:
    return ring._times.typecode


def typecodes(ring: SeriesRing) -> dict[str, str]:
    return {name: series.typecode for name, series in ring._series.items()}


def test_random_samples_through_several_turns_come_back_exactly() -> None:
    draw = random.Random(7)
    ring, model = both(50)
    time = 1_700_000_000.0
    for _ in range(180):
        time += draw.uniform(0.5, 1.5)
        values: dict[str, float] = {
            "cpu_percent": draw.choice([0.0, draw.uniform(0, 200)]),
            "memory_used": draw.choice([4096, draw.randrange(2**40)]),
            "net_rx": draw.randrange(2**20),
            "pids": draw.choice([1, 1, 1, 2]),
            "pids_limit": 0,
        }
        append(ring, model, time, values)
        for since in (0.0, time - 20.0, time - 0.3, time):
            assert ring.since(since) == model.since(since)
    assert len(ring) == 50
    assert ring.last_time == round(time, 3)


def test_a_value_past_4_bytes_moves_the_series_to_8_bytes_keeping_the_old_ones() -> None:
    ring, model = both(10)
    for second, used in enumerate([100, 2**32 - 1, 2**32, 5 * 2**40, 7]):
        append(ring, model, 100.0 + second, {"memory_used": used, "memory_limit": 2**33})
    assert ring.since(0) == model.since(0)
    assert ring.since(0)["memory_used"] == [100, 2**32 - 1, 2**32, 5 * 2**40, 7]
    assert typecodes(ring)["memory_used"] == "q"
    assert typecodes(ring)["memory_limit"] == "q"  # one 8-byte slot: it never changed
    assert typecodes(ring)["blk_read"] == "I"


def test_an_unchanging_series_keeps_one_slot_until_a_value_differs() -> None:
    ring, model = both(10)
    for second in range(25):  # more than two turns, so the lone slot stands for overwritten ones
        append(ring, model, float(second), {"pids": 1, "pids_limit": 4096})
    assert ring.nbytes() == 4 * 10 + 4 * len(SERIES)
    append(ring, model, 25.0, {"pids": 2, "pids_limit": 4096})
    assert ring.since(0) == model.since(0)
    assert ring.since(0)["pids"] == [1] * 9 + [2]
    assert ring.nbytes() == 4 * 10 + 4 * 10 + 4 * (len(SERIES) - 1)


def test_cpu_percent_kept_as_one_slot_returns_what_float32_slots_return() -> None:
    ring, model = both(5)
    for second in range(3):
        append(ring, model, float(second), {"cpu_percent": 1.005})
    append(ring, model, 3.0, {"cpu_percent": 1.0050000001})  # the same float32
    assert ring.nbytes() == 4 * 5 + 4 * len(SERIES)
    assert ring.since(0) == model.since(0)


def test_times_past_24_days_from_the_base_rebase_and_stay_4_bytes() -> None:
    ring, model = both(10)
    time = 1_700_000_000.1234
    for _ in range(30):
        append(ring, model, time, {"pids": 1})
        time += 2 * DAY + 0.0005  # past 24.8 days from the base every 13 samples
    assert ring.since(0) == model.since(0)
    assert time_code(ring) == "i"


def test_a_clock_going_back_keeps_the_samples_in_the_order_they_came() -> None:
    ring, model = both(10)
    for time in (5000.0, 5001.0, 10.5, 11.5):
        append(ring, model, time, {"pids": 1})
    assert ring.since(0)["time"] == [5000.0, 5001.0, 10.5, 11.5]
    assert ring.since(0) == model.since(0)
    assert ring.since(11.0)["time"] == [5000.0, 5001.0, 11.5]


def test_kept_times_spanning_more_than_24_days_use_8_bytes_until_they_fit_again() -> None:
    ring, model = both(4)
    append(ring, model, 1000.0, {"pids": 1})
    append(ring, model, 1000.0 + 30 * DAY, {"pids": 1})  # the clock jumped a month on
    assert time_code(ring) == "q"
    assert ring.since(0) == model.since(0)
    for second in range(1, 8):  # the samples from before the jump fall out of the ring
        append(ring, model, 1000.0 + 30 * DAY + second, {"pids": 1})
        assert ring.since(0) == model.since(0)
    assert time_code(ring) == "i"


def test_since_compares_times_as_it_returns_them_to_the_millisecond() -> None:
    ring = SeriesRing(5)
    ring.append(100.0004, {})
    ring.append(101.0006, {})
    assert ring.since(0)["time"] == [100.0, 101.001]
    assert ring.since(100.0)["time"] == [101.001]  # asking from the last time seen: no repeat
    assert ring.since(101.001)["time"] == []


def test_a_full_history_is_under_100_kb_even_with_8_byte_times_and_integers() -> None:
    ring = SeriesRing()
    time = 1000.0
    for second in range(HISTORY_SECONDS):
        if second == 1:
            time += 30 * DAY  # the first sample is a month older: 8-byte times this turn
        values = {name: 2**40 + second for name in INTEGER_SERIES}
        ring.append(time + second, {"cpu_percent": second % 7, **values})
    assert time_code(ring) == "q" and set(typecodes(ring).values()) == {"f", "q"}
    assert ring.nbytes() == 8 * HISTORY_SECONDS * 9 + 4 * HISTORY_SECONDS
    assert ring.nbytes() < 100_000


def test_a_full_history_of_varying_small_figures_is_4_bytes_a_slot() -> None:
    ring = SeriesRing()
    for second in range(HISTORY_SECONDS):
        values = {name: second for name in INTEGER_SERIES}
        ring.append(1_700_000_000.0 + second, {"cpu_percent": second % 7, **values})
    assert ring.nbytes() == 4 * HISTORY_SECONDS * (1 + len(SERIES))
