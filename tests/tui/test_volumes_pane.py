"""Pilot tests: the Volumes pane lists, creates, deletes, prunes and shows volumes (fake engine)."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ConflictError
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.screens.details import DetailsModal
from tuibox.screens.name_prompt import NamePrompt
from tuibox.widgets.volume_table import VolumeTable

ANONYMOUS = "9e" * 32


def rows(session: Session) -> list[list[str]]:
    table = session.app.screen.query_one(VolumeTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_pane(session: Session) -> None:
    await session.press("4")
    await session.settle()


async def test_volumes_are_listed_named_first_with_use_and_kind(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        assert [row[:4] for row in rows(session)] == [
            ["cache", "local", "no", "named"],
            ["pgdata", "local", "yes", "named"],
            [ANONYMOUS[:12] + "…", "local", "no", "anonymous"],
        ]


async def test_c_creates_a_volume_named_or_not(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("c")
        prompt = session.app.screen
        assert isinstance(prompt, NamePrompt)
        prompt.query_one(Input).value = "uploads"
        await session.press("enter")
        assert session.fake.called("create_volume") == [("uploads",)]
        assert session.notifications[-1].message == "Created volume uploads."
        await session.settle()
        assert "uploads" in [row[0] for row in rows(session)]
        await session.press("c", "enter")  # empty: the engine names it
        assert session.fake.called("create_volume")[-1] == ("",)


async def test_d_asks_then_deletes_and_reports_a_refusal(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("d")  # cache, the first row
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal) and "cache" in modal.question
        await session.press("tab", "enter")
        assert session.fake.called("remove_volume") == [("cache",)]
        session.fake.fail["remove_volume"] = ConflictError(
            "remove pgdata: volume is in use - [a1a1]", 409)  # fmt: skip
        await session.settle()
        await session.press("d")  # pgdata is first now
        assert "A container uses it" in session.app.screen.question  # type: ignore[attr-defined]
        await session.press("tab", "enter")
        note = session.notifications[-1]
        assert note.severity == "error" and "volume is in use" in note.message


async def test_capital_x_lists_what_a_prune_removes_then_prunes(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("X")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert ANONYMOUS in modal.question and "cache" not in modal.question
        await session.press("tab", "enter")
        assert session.fake.called("prune_volumes") == [()]
        assert session.notifications[-1].message == "Pruned 1 volume(s), 4.1kB freed."
        await session.settle()
        await session.press("X")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == "No unused anonymous volume to prune."


async def test_enter_shows_the_details(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("j", "enter")  # pgdata
        details = session.app.screen
        assert isinstance(details, DetailsModal)
        assert "Mountpoint:  /var/lib/tuibox/volumes/pgdata/_data" in details.text
        assert "Labels:      app=db" in details.text and "In use:      yes" in details.text
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
