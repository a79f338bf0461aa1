"""Pilot tests: the overview of running containers, its sorting, bars and updates."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from tests.conftest import FROZEN_NOW, RUNNING_ID, FakeEngineClient, scripted_host
from tests.tui.conftest import RunApp, Session
from tests.tui.test_stats_list import DB, HELLO, LiveStats, WatchLog, busy_engine
from tuibox.client.stats_models import StatsBatch
from tuibox.screens import HelpScreen, MainScreen
from tuibox.screens.overview import OverviewScreen, OverviewTable


def overview(session: Session) -> OverviewTable:
    assert isinstance(session.app.screen, OverviewScreen)
    return session.app.screen.query_one(OverviewTable)


def names(session: Session) -> list[str]:
    rows = overview(session)
    return [rows.get_row_at(i)[0].plain for i in range(rows.row_count)]


def row_text(session: Session, index: int) -> tuple[str, ...]:
    return tuple(cell.plain for cell in overview(session).get_row_at(index))


async def test_o_opens_the_overview_and_escape_goes_back(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("o")
        # web: 37 % of 2 cores (18 eighths of 12 cells), 65 MiB of 512 MiB (12 eighths).
        assert [row_text(session, i) for i in range(overview(session).row_count)] == [
            ("web", "37.0%", "██▎         ", "65MiB / 512MiB", "12.7%", "█▌          "),
        ]
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_help_lists_the_overview_keys(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("question_mark")
        assert isinstance(session.app.screen, HelpScreen)
        table = session.app.screen.query_one("#help-table", DataTable)
        rows = {tuple(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)}
        assert {("Main", "o", "Overview"), ("Overview", "c", "Sort by CPU"),
                ("Overview", "m", "Sort by memory"), ("Overview", "Esc", "Back")} <= rows


async def test_overview_sorts_by_cpu_and_m_and_c_switch(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    busy_engine(fake_client)
    async with run_app() as session:
        await session.press("o")
        assert names(session) == ["hello", "web", "db"]
        assert row_text(session, 0) == (
            "hello", "90.0%", "█████▍      ", "300MiB / 1.0GiB", "29.3%", "███▌        ",
        )
        await session.press("m")
        assert names(session) == ["db", "hello", "web"]
        screen = session.app.screen
        assert isinstance(screen, OverviewScreen)
        assert screen.heading.startswith(" Overview · 3 running · by memory")
        await session.press("c")
        assert names(session) == ["hello", "web", "db"]


async def test_overview_follows_the_feed_and_keeps_the_selection(
    run_app: RunApp, fake_client: FakeEngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_engine(fake_client)
    live = LiveStats(fake_client, monkeypatch)
    async with run_app() as session:
        await session.press("o")
        rows = overview(session)
        await session.press("j")
        assert rows.selected_key == RUNNING_ID
        last = fake_client.stats_events[-1].batch
        assert last is not None
        time = FROZEN_NOW + 1
        host = replace(scripted_host(time), containers_running=3)
        samples = {cid: replace(s, time=time) for cid, s in last.containers.items()}
        samples[RUNNING_ID] = replace(samples[RUNNING_ID], cpu_percent=50.0)
        live.send(StatsBatch(time, host, samples))
        await session.wait_until(lambda: row_text(session, 1)[1] == "50.0%")
        assert names(session) == ["hello", "web", "db"]
        assert rows.selected_key == RUNNING_ID
        samples[RUNNING_ID] = replace(samples[RUNNING_ID], time=time + 1, cpu_percent=99.0)
        live.send(StatsBatch(time + 1, host, samples))
        await session.wait_until(lambda: names(session) == ["web", "hello", "db"])
        assert rows.selected_key == RUNNING_ID, "the selection moves with its container"
        assert rows.cursor_row == 0


async def test_overview_watches_every_running_container(
    run_app: RunApp, fake_client: FakeEngineClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy_engine(fake_client)
    fake_client.containers[2] = replace(fake_client.containers[2], state="exited")
    watched = WatchLog(monkeypatch)
    async with run_app() as session:
        await session.press("2")
        assert watched.last == set()
        await session.press("o")
        assert watched.last == {RUNNING_ID, HELLO}
        assert DB not in {row.key.value for row in overview(session).ordered_rows}
        await session.press("escape")
        assert watched.last == set(), "back on the images pane: nothing visible"
        await session.press("1")
        assert watched.last == {RUNNING_ID, HELLO}
