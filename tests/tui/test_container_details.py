"""Pilot tests: the container screen's Processes, Env, Mounts and Health tabs."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import DataTable, Static

from tests.conftest import RUNNING_ID, sample_details, sample_processes
from tests.tui.conftest import RunApp, Session
from tests.tui.test_container_screen import make_feed, open_screen
from tuibox.client.details import ProcessList
from tuibox.screens.container import ContainerScreen
from tuibox.screens.container_details import ProcessesPane
from tuibox.screens.help import CONTAINER_ENTRIES
from tuibox.widgets.detail_tables import MASK, EnvTable, MountTable
from tuibox.widgets.health_view import HealthView
from tuibox.widgets.process_table import ProcessTable


def cells(table: DataTable[Any], column: int) -> list[str]:
    return [str(table.get_row_at(row)[column]) for row in range(table.row_count)]


def note(screen: ContainerScreen, tab: str) -> str:
    return str(screen.query_one(f"#{tab}-note", Static).content)


async def detail_screen(session: Session) -> ContainerScreen:
    session.fake.inspect_extra[RUNNING_ID] = sample_details()
    return await open_screen(session, make_feed(session))


async def test_processes_tab_lists_top_and_refreshes_only_while_shown(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await detail_screen(session)
        assert session.fake.called("top") == [], "top is asked only once the tab shows"
        await session.press("4")
        table = screen.query_one(ProcessTable)
        assert screen.active_tab == "processes" and screen.refreshing_live
        assert table.titles == sample_processes().titles
        assert cells(table, 1) == ["4242", "4250", "4301"]
        assert "3 processes" in note(screen, "processes")
        table.move_cursor(row=1)
        titles, rows = sample_processes().titles, sample_processes().processes
        changed = ((*rows[1][:6], "00:00:07", *rows[1][7:]),)
        session.fake.processes[RUNNING_ID] = ProcessList(titles, changed)
        await session.wait_until(lambda: table.row_count == 1)  # the 2 s timer's refresh
        assert cells(table, 1) == ["4250"] and cells(table, 6) == ["00:00:07"]
        assert table.cursor_row == 0
        await session.press("1")
        assert not screen.refreshing_live, "the timer pauses when another tab shows"
        await session.press("4")
        asked = len(session.fake.called("top"))
        session.app.push_screen(Screen())
        await session.pilot.pause()
        screen._refresh_tick()
        await session.settle()
        assert len(session.fake.called("top")) == asked, "a covered screen asks nothing"


async def test_processes_of_a_stopped_container_say_so(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await detail_screen(session)
        await session.press("4")
        session.fake._set_state(RUNNING_ID, "exited", "Exited (0) 1 second ago")
        screen.query_one(ProcessesPane).load()
        await session.settle()
        assert screen.query_one(ProcessTable).row_count == 0
        assert note(screen, "processes") == "web is not running: no processes."


async def test_env_tab_masks_secret_values_until_v(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await detail_screen(session)
        await session.press("5")
        table = screen.query_one(EnvTable)
        assert cells(table, 0) == ["PATH", "POSTGRES_PASSWORD", "API_TOKEN", "LANG",
                                   "aws_secret_access_key", "EMPTY", "FLAG"]  # fmt: skip
        values = cells(table, 1)
        assert values[1] == values[2] == values[4] == MASK
        assert values[3] == "C.UTF-8" and values[5] == "" and "no value" in values[6]
        assert "7 variables" in note(screen, "env")
        table.move_cursor(row=1)
        await session.press("v")
        assert cells(table, 1)[1] == "hunter2" and cells(table, 1)[2] == MASK
        await session.press("v")
        assert cells(table, 1)[1] == MASK
        table.move_cursor(row=3)
        await session.press("v")
        assert cells(table, 1)[3] == "C.UTF-8", "v leaves a value that is not secret alone"


async def test_mounts_tab_shows_type_source_destination_mode_rw(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await detail_screen(session)
        await session.press("6")
        table = screen.query_one(MountTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [
            ["tmpfs", "-", "/run", "-", "rw", "-"],
            ["volume", "pgdata", "/var/lib/postgresql/data", "z", "rw", "-"],
            ["bind", "/srv/site", "/www", "ro", "ro", "rprivate"],
        ]
        assert note(screen, "mounts") == "3 mounts"


async def test_health_tab_shows_status_streak_and_probes_newest_first(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await detail_screen(session)
        await session.press("7")
        view = screen.query_one(HealthView)
        summary = str(view.query_one(".health-summary", Static).content)
        assert summary.startswith("Status: unhealthy · failing streak 3")
        assert "wget -q -O- localhost:8080/health" in summary
        table = view.query_one(DataTable)
        assert cells(table, 2) == ["1", "1", "0"]
        assert cells(table, 3)[0] == "wget: can't connect to remote host: Connection refused"
        assert cells(table, 0)[0] == "2025-06-15 15:06:30" and cells(table, 1)[0] == "1000 ms"
        assert screen.refreshing_live, "health changes: it is refreshed while shown"


async def test_no_healthcheck_and_no_mounts_are_said(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_screen(session, make_feed(session))
        await session.press("7")
        view = screen.query_one(HealthView)
        assert str(view.query_one(".health-summary", Static).content).startswith("No healthcheck")
        assert not view.query_one(DataTable).display
        await session.press("6")
        assert note(screen, "mounts").startswith("No mounts")


def test_the_new_tab_keys_are_in_the_help() -> None:
    for entry in [("Container", "4", "Processes tab"), ("Container", "5", "Env tab"),
                  ("Container", "6", "Mounts tab"), ("Container", "7", "Health tab")]:  # fmt: skip
        assert entry in CONTAINER_ENTRIES
