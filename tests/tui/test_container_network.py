"""Pilot tests: the container screen's Network tab, and the Ports column of the Containers pane."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import DataTable, Static

from tests.conftest import RUNNING_ID, sample_network_settings
from tests.tui.conftest import RunApp, Session
from tests.tui.test_container_screen import make_feed, open_screen
from tuibox.client.models import PortSummary
from tuibox.screens.container import ContainerScreen
from tuibox.widgets.container_table import ContainerTable
from tuibox.widgets.detail_tables import EndpointTable, PortBindingTable


def cells(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


def note(screen: ContainerScreen, name: str) -> str:
    return str(screen.query_one(f"#{name}-note", Static).content)


async def network_tab(session: Session, extra: dict[str, Any]) -> ContainerScreen:
    session.fake.inspect_extra[RUNNING_ID] = extra
    screen = await open_screen(session, make_feed(session))
    await session.press("8")
    await session.wait_until(lambda: screen.query_one(EndpointTable).row_count > 0
                             or "mode" in note(screen, "network"))  # fmt: skip
    return screen


async def test_network_tab_shows_addresses_aliases_and_ports(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await network_tab(session, sample_network_settings())
        assert screen.active_tab == "network"
        assert cells(screen.query_one(EndpointTable)) == [
            ["bridge", "172.17.0.2/16", "172.17.0.1", "02:42:ac:11:00:02", "-"],
            ["front", "10.5.0.2/24", "10.5.0.1", "02:42:0a:05:00:02", "shop-web"],
        ]
        assert cells(screen.query_one(PortBindingTable)) == [
            ["80/tcp", "0.0.0.0:8080"], ["80/tcp", "[::]:8080"],
            ["443/tcp", "exposed, not published"],
        ]  # fmt: skip
        assert note(screen, "network") == "2 networks · mode front"
        assert note(screen, "ports") == "Ports: 2 host bindings"
        await session.press("tab")
        assert screen.active_tab == "stats", "Tab leaves the Network tab"


async def test_network_tab_says_what_a_mode_without_networks_means(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await network_tab(session, {"HostConfig": {"NetworkMode": "host"},
                                             "NetworkSettings": {"Networks": {"host": {}}}})
        assert note(screen, "network").startswith("Network mode host: the host's own")
        assert note(screen, "ports") == "Ports: none exposed or published."


async def test_network_tab_of_a_container_not_started_yet(run_app: RunApp) -> None:
    async with run_app() as session:
        settings = {"HostConfig": {"NetworkMode": "bridge"}, "NetworkSettings": {
            "Ports": {}, "Networks": {"bridge": {"NetworkID": "", "IPAddress": ""}}}}
        screen = await network_tab(session, settings)
        assert cells(screen.query_one(EndpointTable)) == [["bridge", "none yet", "-", "-", "-"]]
        assert note(screen, "network") == "1 network · mode bridge · no address until it runs"


def ports_cells(session: Session) -> dict[str, str]:
    table = session.app.screen.query_one(ContainerTable)
    if "ports" not in table.shown_columns:
        return {}
    column = table.shown_columns.index("ports")
    return {str(table.get_row_at(row)[0]): str(table.get_row_at(row)[column])
            for row in range(table.row_count)}  # fmt: skip


async def test_ports_read_as_docker_ps_when_there_is_room(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.pilot.resize_terminal(170, 36)
        await session.settle()
        table = session.app.screen.query_one(ContainerTable)
        assert table.shown_columns[-3:] == ("ports", "created", "id")
        assert ports_cells(session) == {"web": "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
                                        "hello": "", "db": "5432/tcp"}  # fmt: skip


async def test_columns_give_way_by_priority_and_come_back(run_app: RunApp) -> None:
    async with run_app() as session:
        table = session.app.screen.query_one(ContainerTable)
        assert "id" not in table.shown_columns and "created" in table.shown_columns  # 120
        assert ports_cells(session)["web"] == "8080->80/tcp"
        await session.pilot.resize_terminal(80, 24)
        await session.settle()
        assert table.shown_columns == ("name", "image", "state", "cpu", "memory", "ports")
        assert ports_cells(session)["web"] == "8080->80/tcp"
        await session.pilot.resize_terminal(70, 24)
        await session.settle()
        assert "ports" not in table.shown_columns and "status" in table.shown_columns
        assert table.layout_plan.hidden == {"id", "created", "ports"}
        await session.pilot.resize_terminal(170, 36)
        await session.settle()
        assert len(table.shown_columns) == len(ContainerTable.COLUMNS)


async def test_the_ports_cell_is_updated_in_place(run_app: RunApp) -> None:
    async with run_app() as session:
        table = session.app.screen.query_one(ContainerTable)
        await session.press("j")  # the cursor on hello: it must stay there
        fake = session.fake
        fake.containers = [replace(c, ports=(PortSummary(443, "tcp", "0.0.0.0", 8443),))
                           if c.name == "hello" else c for c in fake.containers]  # fmt: skip
        columns = table.shown_columns
        rebuilt: list[int] = []
        original = table._rebuild

        def counting_rebuild(rows: Any) -> None:
            rebuilt.append(len(rows))
            original(rows)

        table._rebuild = counting_rebuild  # type: ignore[method-assign]
        session.app.screen.query_one("#containers-pane").refresh_now()  # type: ignore[attr-defined]
        await session.settle()
        assert ports_cells(session)["hello"] == "8443->443/tcp"
        assert rebuilt == [] and table.shown_columns == columns and table.cursor_row == 1
        assert table.selected_item is not None and table.selected_item.name == "hello"


async def test_an_engine_without_ports_drops_the_empty_column_first(run_app: RunApp) -> None:
    async with run_app() as session:
        fake = session.fake
        fake.containers = [replace(c, ports=()) for c in fake.containers]
        await session.pilot.resize_terminal(114, 36)  # all but the empty PORTS fit
        session.app.screen.query_one("#containers-pane").refresh_now()  # type: ignore[attr-defined]
        await session.settle()
        table = session.app.screen.query_one(ContainerTable)
        assert table.layout_plan.hidden == {"ports"}
        assert table.shown_columns[-2:] == ("created", "id")
