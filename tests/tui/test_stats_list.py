"""Pilot tests: the header's host figures and the containers' CPU and memory columns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from rich.text import Text
from textual.widgets.data_table import ColumnKey, RowKey

from tests.conftest import (
    FROZEN_NOW,
    GIB,
    RUNNING_ID,
    FakeEngineClient,
    scripted_host,
    scripted_sample,
)
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import NotFoundError
from tuibox.client.models import ContainerSummary
from tuibox.client.stats_models import StatsBatch, StatsEvent, StatsHistory, StatsSample
from tuibox.stats_feed import StatsFeed
from tuibox.widgets import ContainerTable, EngineHeader

MIB = 1024**2
HELLO = "c3" * 32
DB = "e5" * 32


class LiveStats:
    """Plays the fake's batched stream, then whatever batches the test sends, in order."""

    def __init__(self, fake: FakeEngineClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake = fake
        self.queue: asyncio.Queue[StatsBatch] = asyncio.Queue()
        monkeypatch.setattr(fake, "stats_stream", self.stream)

    async def stream(self, since: float | None = None) -> AsyncIterator[StatsEvent]:
        """The scripted events, then each sent batch."""
        self.fake.calls.append(("stats_stream", (since,)))
        for event in self.fake.stats_events:
            yield event
        while True:
            yield StatsEvent(batch=await self.queue.get())

    def send(self, batch: StatsBatch) -> None:
        """Deliver `batch` as the engine's next second."""
        self.queue.put_nowait(batch)


class WatchLog:
    """Records every set of containers a screen tells the StatsFeed it shows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[set[str]] = []
        original = StatsFeed.watch

        def watch(feed: StatsFeed, container_ids: set[str]) -> None:
            self.calls.append(set(container_ids))
            original(feed, container_ids)

        monkeypatch.setattr(StatsFeed, "watch", watch)

    @property
    def last(self) -> set[str]:
        """The set the feed follows now."""
        assert self.calls, "feed.watch was never called"
        return self.calls[-1]


def ramp_sample(t: int, time: float, cpu: float, memory_mib: int, limit: int) -> StatsSample:
    """A sample with the given CPU and memory (the other figures do not matter here)."""
    return StatsSample(time=time, cpu_percent=cpu, memory_used=memory_mib * MIB,
                       memory_limit=limit, net_rx=t, net_tx=t, blk_read=t, blk_write=t,
                       pids=2, pids_limit=0)  # fmt: skip


def busy_engine(fake: FakeEngineClient) -> None:
    """All three sample containers running, each with its own minute of figures.

    web plays the scripted series (20 % and 64 MiB now); hello ramps from 0 to 90 % CPU
    with 300 MiB of 1 GiB; db idles at 10 % with 800 MiB and no limit (the host's 24 GiB).
    So by CPU: hello, web, db; by memory: db, hello, web.
    """
    fake.containers = [
        replace(c, state="running", status=status)
        for c, status in zip(fake.containers, ["Up 2 minutes", "Up 3 hours", "Up 2 days"],
                             strict=True)
    ]  # fmt: skip
    times = [FROZEN_NOW - 59 + i for i in range(60)]
    history = {
        RUNNING_ID: [scripted_sample(i + 1, t) for i, t in enumerate(times)],
        HELLO: [ramp_sample(i, t, 90.0 * i / 59, 300, GIB) for i, t in enumerate(times)],
        DB: [ramp_sample(i, t, 10.0, 800, 24 * GIB) for i, t in enumerate(times)],
    }
    host = replace(scripted_host(FROZEN_NOW), containers_running=3)
    fake.stats_events = [
        StatsEvent(history=StatsHistory(1.0, history, [host])),
        StatsEvent(batch=StatsBatch(FROZEN_NOW, host, {cid: s[-1] for cid, s in history.items()})),
    ]


def key_text(key: RowKey | ColumnKey | str) -> str:
    return key if isinstance(key, str) else str(key.value)


def header(session: Session) -> EngineHeader:
    return session.app.screen_stack[0].query_one(EngineHeader)


def table(session: Session) -> ContainerTable:
    return session.app.screen_stack[0].query_one(ContainerTable)


def figures(session: Session, container_id: str) -> tuple[str, str]:
    """The CPU and MEM USAGE cells of one container."""
    rows = table(session)
    return (rows.get_cell(container_id, "cpu").plain, rows.get_cell(container_id, "memory").plain)


def next_second(cpu: float, host_cpu: float = 23.5) -> StatsBatch:
    """The second after the script: web at `cpu` %, memory as before."""
    time = FROZEN_NOW + 1
    sample = replace(scripted_sample(901, time), cpu_percent=cpu)
    host = replace(scripted_host(time), cpu_percent=host_cpu)
    return StatsBatch(time, host, {RUNNING_ID: sample})


async def test_header_shows_the_host_figures(run_app: RunApp) -> None:
    async with run_app() as session:
        assert header(session).figures == "cpu 24% · mem 5.0/24 GiB · 1/3 running"
        assert header(session).view.badge == "up"


async def test_running_container_shows_cpu_and_memory_with_their_trends(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        # 37 % now; the 6-second means of the last 30 s are all about 33-37 % of one core.
        # 65 MiB of a 512 MiB limit; the last 30 s stay between 64 and 93 MiB: 1/8 to 2/8.
        assert figures(session, RUNNING_ID) == (" 37% ▃▃▃▃▃", " 65MiB ▂▂▂▂▂")
        assert figures(session, HELLO) == ("-", "-")
        assert figures(session, DB) == ("-", "-")


async def test_trend_draws_a_rising_series(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    busy_engine(fake_client)
    async with run_app() as session:
        # hello: CPU from 0 to 90 % over the minute; the 6-second means of the last 30 s
        # are 50, 59, 68, 77 and 87 % of one core. Memory: 300 MiB of 1 GiB, 2/8 to 3/8.
        assert figures(session, HELLO) == (" 90% ▄▅▆▇▇", "300MiB ▃▃▃▃▃")
        assert figures(session, DB) == (" 10% ▁▁▁▁▁", "800MiB ▁▁▁▁▁")


async def test_figures_update_in_place_and_keep_the_selection(
    run_app: RunApp, fake_client: FakeEngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveStats(fake_client, monkeypatch)
    async with run_app() as session:
        rows = table(session)
        await session.press("j", "j")
        assert rows.selected_key == DB
        updated: list[tuple[str, str]] = []
        update_cell = rows.update_cell

        def record(
            row_key: RowKey | str, column_key: ColumnKey | str, value: Text,
            *, update_width: bool = False,
        ) -> None:  # fmt: skip
            updated.append((key_text(row_key), key_text(column_key)))
            update_cell(row_key, column_key, value, update_width=update_width)

        monkeypatch.setattr(rows, "update_cell", record)
        live.send(next_second(cpu=95.0, host_cpu=51.0))
        await session.wait_until(lambda: figures(session, RUNNING_ID)[0].startswith(" 95%"))
        assert updated == [(RUNNING_ID, "cpu")], "only the cell whose text changed"
        assert figures(session, RUNNING_ID)[1] == " 65MiB ▂▂▂▂▂"
        assert header(session).figures == "cpu 51% · mem 5.0/24 GiB · 1/3 running"
        assert rows.selected_key == DB
        assert (rows.cursor_row, rows.scroll_y) == (2, 0)

        updated.clear()
        live.send(replace(next_second(cpu=95.0, host_cpu=51.0), time=FROZEN_NOW + 2))
        await session.wait_until(live.queue.empty)  # taken, so delivered: no await between
        await session.settle()
        assert set(updated) <= {(RUNNING_ID, "cpu")}, "the same figures: at most the trend moves"


async def test_a_container_that_stops_shows_dashes(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    async with run_app(poll_interval=0.05) as session:
        assert figures(session, RUNNING_ID)[0] == " 37% ▃▃▃▃▃"
        fake_client.containers[0] = replace(fake_client.containers[0], state="exited",
                                            status="Exited (0) Less than a second ago")
        await session.wait_until(lambda: figures(session, RUNNING_ID) == ("-", "-"))


async def test_the_feed_is_told_which_running_containers_are_visible(
    run_app: RunApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = WatchLog(monkeypatch)
    async with run_app() as session:
        await session.wait_until(lambda: bool(watched.calls))
        assert watched.last == {RUNNING_ID}, "stopped containers have no figures to follow"
        await session.press("2")
        assert watched.last == set(), "the images pane shows no container"
        await session.press("1")
        assert watched.last == {RUNNING_ID}


async def test_scrolling_tells_the_feed_the_rows_now_visible(
    run_app: RunApp, fake_client: FakeEngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_client.containers = [
        ContainerSummary(f"{n:064x}", (f"/job-{n:02d}",), "busybox:latest", "", "sleep 1d",
                         int(FROZEN_NOW) - n * 60, "running", "Up 3 hours")
        for n in range(1, 61)
    ]  # fmt: skip
    watched = WatchLog(monkeypatch)
    async with run_app() as session:
        rows = table(session)
        height = rows.scrollable_content_region.height - rows.header_height
        order = [str(row.key.value) for row in rows.ordered_rows]
        await session.wait_until(lambda: bool(watched.calls))
        assert watched.last == set(order[:height])
        await session.press("G")
        await session.wait_until(lambda: watched.last == set(order[-height:]))
        assert rows.selected_key == order[-1]


async def test_a_batch_redraws_only_the_rows_in_sight_and_scrolling_brings_the_rest(
    run_app: RunApp, fake_client: FakeEngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of containers cost the rows on screen: the others catch up when shown."""
    fake_client.containers = [
        ContainerSummary(f"{n:064x}", (f"/job-{n:02d}",), "busybox:latest", "", "sleep 1d",
                         int(FROZEN_NOW) - n * 60, "running", "Up 3 hours")
        for n in range(1, 61)
    ]  # fmt: skip
    ids = [c.id for c in fake_client.containers]
    first = {cid: ramp_sample(0, FROZEN_NOW, 10.0, 64, 512 * MIB) for cid in ids}
    host = scripted_host(FROZEN_NOW)
    fake_client.stats_events = [StatsEvent(batch=StatsBatch(FROZEN_NOW, host, first))]
    live = LiveStats(fake_client, monkeypatch)
    async with run_app() as session:
        rows = table(session)
        await session.wait_until(lambda: figures(session, ids[-1])[0].startswith(" 10%"))
        in_sight = rows.visible_keys()
        assert 0 < len(in_sight) < len(ids)
        out_of_sight = ids[-1]
        assert out_of_sight not in in_sight
        updated: list[str] = []
        update_cell = rows.update_cell

        def record(
            row_key: RowKey | str, column_key: ColumnKey | str, value: Text,
            *, update_width: bool = False,
        ) -> None:  # fmt: skip
            updated.append(key_text(row_key))
            update_cell(row_key, column_key, value, update_width=update_width)

        monkeypatch.setattr(rows, "update_cell", record)
        time = FROZEN_NOW + 1
        busier = {cid: ramp_sample(1, time, 80.0, 64, 512 * MIB) for cid in ids}
        live.send(StatsBatch(time, replace(host, time=time), busier))
        await session.wait_until(lambda: figures(session, in_sight[0])[0].startswith(" 80%"))
        assert set(updated) <= set(in_sight), "no row out of sight was touched"
        assert figures(session, out_of_sight)[0].startswith(" 10%"), "it waits to be seen"
        await session.press("G")
        await session.wait_until(lambda: figures(session, out_of_sight)[0].startswith(" 80%"))


async def test_engines_without_the_batched_stream_follow_only_visible_running_ones(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.fail["stats_stream"] = NotFoundError("page not found", 404)
    async with run_app() as session:
        await session.wait_until(lambda: bool(fake_client.called("container_stats")))
        assert fake_client.called("container_stats") == [(RUNNING_ID,)]
        # The fake's per-container stream sends the last two samples (t=899: 57 %, t=900:
        # 0 % and 64 MiB); only the newest 6-second slot of the trend has any (28.5 %).
        await session.wait_until(lambda: figures(session, RUNNING_ID) == ("  0%     ▃",
                                                                          " 64MiB     ▂"))
        assert header(session).figures == "", "other engines send no host figures"


async def test_enter_opens_the_container_detail_screen(run_app: RunApp) -> None:
    detail = pytest.importorskip("tuibox.screens.container")
    async with run_app() as session:
        await session.press("enter")
        assert isinstance(session.app.screen, detail.ContainerScreen)
