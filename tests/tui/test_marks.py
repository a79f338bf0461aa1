"""Pilot tests: Space marks containers, an action applies to every marked one, one report."""

from __future__ import annotations

from textual.notifications import Notification

from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import NotFoundError
from tuibox.panes.containers import ContainersPane
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.screens.main import help_entries
from tuibox.screens.signal_picker import SignalPicker
from tuibox.widgets import ContainerTable

WEB, HELLO, DB = "a1" * 32, "c3" * 32, "e5" * 32


def table(session: Session) -> ContainerTable:
    return session.app.screen.query_one(ContainerTable)


def names(session: Session) -> list[str]:
    shown = table(session)
    return [shown.get_row_at(i)[0].plain for i in range(shown.row_count)]


def last(session: Session) -> Notification:
    assert session.notifications, "no notification was raised"
    return session.notifications[-1]


async def test_space_marks_rows_and_s_capital_stops_every_marked_one(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("space", "space")
        assert table(session).marked == [WEB, HELLO]
        assert names(session) == ["● web", "● hello", "db"]
        assert table(session).cursor_row == 2, "Space moves on to the next row"
        await session.press("S")
        assert sorted(str(args[0]) for args in session.fake.called("stop")) == [WEB, HELLO]
        note = last(session)
        assert (note.message, note.title, note.severity) == (
            "1 stopped, 1 already stopped", "Stop", "information")  # fmt: skip
        assert table(session).marked == [] and names(session) == ["web", "hello", "db"]


async def test_each_failure_is_reported_with_its_reason(run_app: RunApp) -> None:
    async with run_app() as session:
        # db's removal fails while db stays listed, so no refresh can take its mark away.
        session.fake.fail_for[("remove_container", DB)] = NotFoundError(
            f"No such container: {DB}", 404)  # fmt: skip
        await session.press("space", "space", "space")
        await session.press("d")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert modal.question.startswith("Delete 3 containers: web, hello, db?")
        await session.press("tab", "enter")
        assert sorted(str(args[0]) for args in session.fake.called("remove_container")) == [
            WEB, HELLO, DB]  # fmt: skip
        note = last(session)
        assert note.message == f"2 deleted, 1 failed: db: No such container: {DB}"
        assert note.severity == "warning"
        assert table(session).marked == []


async def test_kill_asks_once_for_all_marked_and_space_unmarks(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("space", "space", "space", "up", "space")
        assert table(session).marked == [WEB, DB]
        await session.press("K")
        picker = session.app.screen
        assert isinstance(picker, SignalPicker)
        await session.press("enter")  # KILL comes first
        kills = sorted((str(c), str(signal)) for c, signal in session.fake.called("kill"))
        assert kills == [(WEB, "KILL"), (DB, "KILL")]
        assert last(session).message == "2 sent SIGKILL"


async def test_escape_clears_the_marks_and_without_marks_acts_on_the_selection(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await session.press("space", "space", "escape")
        assert table(session).marked == [] and names(session) == ["web", "hello", "db"]
        assert isinstance(session.app.screen, MainScreen)
        await session.press("s")
        assert session.fake.called("start") == [(DB,)], "the row under the cursor only"
        assert last(session).message == "Started db."


async def test_marks_follow_their_rows_and_go_with_them(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "space")
        assert table(session).marked == [HELLO]
        session.fake.containers = [c for c in session.fake.containers if c.id != HELLO]
        session.app.screen.query_one(ContainersPane).refresh_now()
        await session.settle()
        assert table(session).marked == [] and names(session) == ["web", "db"]


def test_mark_keys_are_in_the_help() -> None:
    entries = help_entries([])
    assert ("Containers", "Space", "Mark/unmark") in entries
    assert ("Containers", "Esc", "Clear marks") in entries
