"""Pilot tests: the Networks pane lists, shows, creates, deletes and prunes (fake engine)."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.conftest import FRONT_ID
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ForbiddenError
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.screens.details import DetailsModal
from tuibox.screens.help import HelpScreen
from tuibox.screens.main import help_entries
from tuibox.screens.text_prompt import TextPrompt
from tuibox.widgets.network_table import NetworkTable


def rows(session: Session) -> list[list[str]]:
    table = session.app.screen.query_one(NetworkTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_pane(session: Session) -> None:
    await session.press("5")
    await session.settle()


async def select(session: Session, name: str) -> None:
    table = session.app.screen.query_one(NetworkTable)
    names = [row[0] for row in rows(session)]
    table.move_cursor(row=names.index(name))
    await session.settle()


async def answer(session: Session, text: str) -> None:
    session.app.screen.query_one(Input).value = text
    await session.press("enter")


async def test_networks_are_listed_by_name_with_addresses_and_use(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        assert rows(session) == [
            ["back", "bridge", "172.19.0.0/16", "172.19.0.1", "0", "yes", "8e8e8e8e8e8e"],
            ["bridge", "bridge", "172.17.0.0/16", "172.17.0.1", "1", "no", "b0b0b0b0b0b0"],
            ["front", "bridge", "10.5.0.0/24", "10.5.0.1", "1", "no", "7f7f7f7f7f7f"],
            ["host", "host", "-", "-", "0", "no", "c0c0c0c0c0c0"],
            ["none", "null", "-", "-", "0", "no", "d0d0d0d0d0d0"],
        ]


async def test_enter_inspects_and_lists_the_attached_containers(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "front")
        await session.press("enter")
        details = session.app.screen
        assert isinstance(details, DetailsModal)
        assert session.fake.called("inspect_network") == [(FRONT_ID,)]
        assert "Subnet:      10.5.0.0/24   gateway 10.5.0.1" in details.text
        assert "Labels:      app=shop" in details.text
        assert "Containers (1):\n  web  10.5.0.2/24         02:42:0a:05:00:02" in details.text
        await session.press("escape")
        await select(session, "back")
        await session.press("enter")
        assert "No container is attached." in session.app.screen.text  # type: ignore[attr-defined]


async def test_n_asks_a_name_then_an_optional_subnet(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("n")
        assert isinstance(session.app.screen, TextPrompt)
        await answer(session, "shop")
        prompt = session.app.screen
        assert isinstance(prompt, TextPrompt) and "shop" in prompt.title_text
        await answer(session, "10.9.1.3/16")  # host bits set: said before asking the engine
        problem = str(prompt.query_one("#name-problem", Static).content)
        assert problem == "invalid subnet 10.9.1.3/16: it should be 10.9.0.0/16"
        assert session.fake.called("create_network") == []
        await answer(session, "10.9.0.0/16")
        assert session.fake.called("create_network") == [("shop", "10.9.0.0/16", False, None)]
        assert session.notifications[-1].message == "Created network shop."
        await session.settle()
        assert "shop" in [row[0] for row in rows(session)]
        await session.press("n")
        await answer(session, "plain")
        await answer(session, "")  # empty: the engine picks the subnet
        assert session.fake.called("create_network")[-1] == ("plain", None, False, None)
        await session.press("n")
        await answer(session, "plain")
        await answer(session, "")
        note = session.notifications[-1]
        assert note.severity == "error" and note.message == "network with name plain already exists"


async def test_esc_at_either_prompt_creates_nothing(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("n", "escape")
        await session.press("n")
        await answer(session, "shop")
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("create_network") == []


async def test_d_refuses_a_predefined_network_without_asking_the_engine(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        for name in ("bridge", "host", "none"):
            await select(session, name)
            await session.press("d")
            assert isinstance(session.app.screen, MainScreen)
            note = session.notifications[-1]
            assert note.message == f"{name} is a pre-defined network and cannot be removed."
            assert note.severity == "warning"
        assert session.fake.called("remove_network") == []


async def test_d_asks_then_deletes_and_shows_the_engine_s_refusal(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("d")  # back, the first row: nothing on it
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal) and "Delete network back" in modal.question
        await session.press("tab", "enter")
        assert session.fake.called("remove_network") == [("8e" * 32,)]
        assert session.notifications[-1].message == "Deleted network back."
        await session.settle()
        await select(session, "front")
        await session.press("d")
        assert "Running on it: web" in session.app.screen.question  # type: ignore[attr-defined]
        await session.press("tab", "enter")
        note = session.notifications[-1]
        assert note.severity == "error" and note.title == "Delete failed"
        assert note.message == ('error while removing network: network front has active '
                                'endpoints (name:"web" id:"a1a1a1a1a1a1")')  # fmt: skip
        assert "front" in [row[0] for row in rows(session)]


async def test_capital_x_lists_what_a_prune_removes_then_prunes(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("X")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.question == "Remove 1 network(s) no running container is on?\n  back"
        await session.press("tab", "enter")
        assert session.fake.called("prune_networks") == [()]
        assert session.notifications[-1].message == "Pruned 1 network(s): back."
        await session.settle()
        await session.press("X")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == "No unused network to prune."


async def test_an_engine_refusal_of_the_prune_is_shown(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["prune_networks"] = ForbiddenError("a prune operation is already "
                                                             "running", 409)  # fmt: skip
        await open_pane(session)
        await session.press("X", "tab", "enter")
        note = session.notifications[-1]
        assert note.severity == "error" and "already running" in note.message


async def test_the_help_lists_the_network_keys(run_app: RunApp) -> None:
    entries = help_entries([])
    for entry in [("Main", "5", "Networks"), ("Networks", "n", "New network"),
                  ("Networks", "d", "Delete"), ("Networks", "X", "Prune"),
                  ("Networks", "Enter", "Details"), ("Container", "8", "Network tab")]:
        assert entry in entries
    async with run_app() as session:
        await session.press("question_mark")
        assert isinstance(session.app.screen, HelpScreen)
        assert ("Networks", "X", "Prune") in session.app.screen.entries
