"""Pilot tests: panes, movement, refresh, help, logs and quit keys against the fake engine."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.widgets import DataTable, TabbedContent

from tests.conftest import FakeEngineClient
from tests.tui.conftest import RunApp, Session
from tuibox.client.models import LogChunk
from tuibox.screens import ContainerScreen, HelpScreen, MainScreen
from tuibox.widgets import ContainerTable, EngineHeader, ImageTable, RegistryTable
from tuibox.widgets.log_view import LogView
from tuibox.widgets.network_table import NetworkTable
from tuibox.widgets.volume_table import VolumeTable


def active_pane(session: Session) -> str:
    return session.app.screen.query_one(TabbedContent).active


def selected_name(table: ContainerTable) -> str | None:
    """The name of the container under the cursor (None when there is none)."""
    container = table.selected_item
    return None if container is None else container.name


async def test_panes_switch_with_tab_shift_tab_and_numbers(run_app: RunApp) -> None:
    async with run_app() as session:
        assert active_pane(session) == "containers"
        assert isinstance(session.app.focused, ContainerTable)
        await session.press("tab")
        assert active_pane(session) == "images"
        assert isinstance(session.app.focused, ImageTable)
        await session.press("tab")
        assert active_pane(session) == "registries"
        assert isinstance(session.app.focused, RegistryTable)
        await session.press("tab")
        assert active_pane(session) == "volumes"
        assert isinstance(session.app.focused, VolumeTable)
        await session.press("tab")
        assert active_pane(session) == "networks"
        assert isinstance(session.app.focused, NetworkTable)
        await session.press("tab")
        assert active_pane(session) == "containers"
        await session.press("shift+tab")
        assert active_pane(session) == "networks"
        await session.press("shift+tab")
        assert active_pane(session) == "volumes"
        await session.press("4")
        assert active_pane(session) == "volumes"
        await session.press("2")
        assert active_pane(session) == "images"
        await session.press("1")
        assert active_pane(session) == "containers"
        await session.press("3")
        assert active_pane(session) == "registries"
        await session.press("5")
        assert active_pane(session) == "networks"


async def test_lists_show_the_engine_objects(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = session.app.screen
        containers = screen.query_one(ContainerTable)
        assert [containers.get_row_at(i)[0].plain for i in range(3)] == ["web", "hello", "db"]
        assert containers.get_cell("a1" * 32, "created").plain == "2 minutes ago"
        images = screen.query_one(ImageTable)
        references = [images.get_row_at(i)[0].plain for i in range(images.row_count)]
        assert references == [
            "busybox:1.35", "busybox:latest", "hello-world:latest", "<none>:<none>",
        ]
        assert images.get_row_at(0)[1:3] == [Text("bbbbbbbbbbbb"), Text("4.27MB", justify="right")]
        registries = screen.query_one(RegistryTable)
        assert registries.get_row_at(1)[0].plain == "http://127.0.0.1:5000"


async def test_arrows_and_j_k_move_the_selection(run_app: RunApp) -> None:
    async with run_app() as session:
        table = session.app.screen.query_one(ContainerTable)
        assert selected_name(table) == "web"
        await session.press("j")
        assert selected_name(table) == "hello"
        await session.press("down")
        assert selected_name(table) == "db"
        await session.press("k")
        assert selected_name(table) == "hello"
        await session.press("up")
        assert selected_name(table) == "web"


async def test_lists_refresh_in_place_and_keep_the_selection(run_app: RunApp) -> None:
    async with run_app(poll_interval=0.05) as session:
        fake = session.fake
        table = session.app.screen.query_one(ContainerTable)
        await session.press("j")
        assert selected_name(table) == "hello"
        fake.containers[1] = replace(fake.containers[1], state="running", status="Up 1 second")
        await session.wait_until(lambda: table.get_row_at(1)[2].plain == "running")
        assert selected_name(table) == "hello"
        fake.containers.insert(0, replace(fake.containers[0], id="99" * 32, names=("/new",),
                                          created=fake.containers[0].created + 60))
        await session.wait_until(lambda: table.row_count == 4)
        assert table.get_row_at(0)[0].plain == "new"
        assert selected_name(table) == "hello"
        fake.containers = [c for c in fake.containers if c.names != ("/web",)]
        await session.wait_until(lambda: table.row_count == 3)
        assert selected_name(table) == "hello"


async def test_help_lists_every_binding(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("question_mark")
        assert isinstance(session.app.screen, HelpScreen)
        table = session.app.screen.query_one("#help-table", DataTable)
        rows = [tuple(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]
        actions = {action for _, _, action in rows}
        for expected in ("Quit", "Next pane", "Previous pane", "Containers", "Images",
                         "Registries", "Help", "Start", "Stop", "Restart", "Delete", "Logs",
                         "Run", "Back", "Move the selection", "Cancel"):
            assert expected in actions, expected
        assert ("Containers", "S", "Stop") in rows
        assert ("Images", "r", "Run") in rows
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_logs_follow_in_their_own_screen_and_escape_goes_back(run_app: RunApp) -> None:
    async with run_app() as session:
        fake = session.fake
        fake.log_chunks = [LogChunk("stdout", "listening on :8080\nfirst req"),
                           LogChunk("stdout", "uest\n"), LogChunk("stderr", "warn: [x] slow\n")]
        await session.press("l")
        screen = session.app.screen
        assert isinstance(screen, ContainerScreen)  # on its Logs tab
        log = screen.query_one(LogView)
        await session.wait_until(lambda: len(log.lines) == 3)
        assert log.lines == [
            "listening on :8080", "first request", "warn: [x] slow",
        ]
        assert fake.called("logs") == [("a1" * 32, True, 1000, True, None)]
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        logs_workers = [w for w in session.app.workers if w.group == "logs"]
        assert all(not w.is_running for w in logs_workers)


async def test_logs_stream_end_is_shown(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.log_chunks = [LogChunk("stdout", "bye")]
        session.fake.log_release.set()
        await session.press("l")
        log = session.app.screen.query_one(LogView)
        await session.wait_until(lambda: len(log.lines) == 2)
        assert log.lines == ["bye", "— end of log stream —"]


async def test_header_names_engine_and_socket(run_app: RunApp) -> None:
    async with run_app() as session:
        header = session.app.screen.query_one(EngineHeader)
        assert header.view.badge == "up"
        assert header.view.identity == "tuibox 0.1.0 · API 1.44"
        assert header.view.host == "unix:///run/tuibox/engine.sock"


async def test_q_quits_and_closes_the_client(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.pilot.press("q")
        await session.pilot.pause()
        assert session.fake.closed
    assert session.app.return_code == 0


async def test_list_slower_than_the_poll_interval_still_fills_the_table(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.delays["list_containers"] = 0.25
    async with run_app(poll_interval=0.05) as session:
        table = session.app.screen.query_one(ContainerTable)
        await session.wait_until(lambda: table.row_count == 3)
        calls_before = len(fake_client.called("list_containers"))
        await session.pilot.pause(0.6)
        polls = len(fake_client.called("list_containers")) - calls_before
        assert 1 <= polls <= 4, f"{polls} list calls in 0.6 s: ticks were not skipped"
