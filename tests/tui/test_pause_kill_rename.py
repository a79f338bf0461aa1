"""Pilot tests: p pauses and unpauses, K kills with a picked signal, n renames (fake engine)."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ConflictError
from tuibox.screens import MainScreen
from tuibox.screens.name_prompt import NamePrompt
from tuibox.screens.signal_picker import SIGNALS, SignalPicker
from tuibox.widgets import ContainerTable

WEB = "a1" * 32


def state_cell(session: Session, row: int) -> str:
    return session.app.screen.query_one(ContainerTable).get_row_at(row)[2].plain


async def test_p_pauses_and_p_again_unpauses(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("p")
        assert session.fake.called("pause") == [(WEB,)]
        assert session.notifications[-1].message.startswith("Paused web")
        assert state_cell(session, 0) == "paused"
        await session.press("p")
        assert session.fake.called("unpause") == [(WEB,)]
        assert session.notifications[-1].message == "Unpaused web."
        assert state_cell(session, 0) == "running"


async def test_a_refused_pause_is_reported(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["pause"] = ConflictError("Container hello is not running", 409)
        await session.press("j", "p")
        note = session.notifications[-1]
        assert note.severity == "error" and "Container hello is not running" in note.message


async def test_capital_k_picks_a_signal_kill_first(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("K")
        picker = session.app.screen
        assert isinstance(picker, SignalPicker)
        options = picker.query_one(OptionList)
        assert options.option_count == len(SIGNALS)
        assert options.highlighted == 0 and SIGNALS[0][0] == "KILL"
        await session.press("down", "down", "down", "enter")  # HUP
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("kill") == [(WEB, "HUP")]
        assert session.notifications[-1].message == "Sent SIGHUP to web."


async def test_escape_in_the_signal_picker_sends_nothing(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("K", "escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("kill") == []


async def test_n_renames_with_the_name_checked_first(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("n")
        modal = session.app.screen
        assert isinstance(modal, NamePrompt)
        field = modal.query_one(Input)
        assert field.value == "web"
        field.value = "bad name"
        await session.press("enter")
        assert isinstance(session.app.screen, NamePrompt), "an invalid name stays in the box"
        assert "two or more of" in str(modal.query_one("#name-problem").render())
        assert session.fake.called("rename") == []
        field.value = "frontend"
        await session.press("enter")
        assert session.fake.called("rename") == [(WEB, "frontend")]
        assert session.notifications[-1].message == "Renamed web to frontend."
        table = session.app.screen.query_one(ContainerTable)
        assert "frontend" in [cell.plain for cell in table.get_row_at(0)]


async def test_escape_or_the_same_name_renames_nothing(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("n", "escape")
        await session.press("n", "enter")  # the current name, unchanged
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("rename") == []
