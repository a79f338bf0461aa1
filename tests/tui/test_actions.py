"""Pilot tests: start, stop, restart, delete, run and their error paths against the fake engine."""

from __future__ import annotations

import pytest
from textual.notifications import Notification
from textual.widgets import Button

from tests.conftest import FakeEngineClient
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ConflictError, EngineError, NotFoundError, ServerError
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.widgets import ContainerTable, ImageTable

WEB = "a1" * 32
HELLO = "c3" * 32


def focused_id(session: Session) -> str | None:
    """The ID of the focused widget (None when nothing has focus)."""
    focused = session.app.focused
    return None if focused is None else focused.id


def last_notification(session: Session) -> Notification:
    assert session.notifications, "no notification was raised"
    return session.notifications[-1]


async def test_s_starts_the_selected_container(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "s")
        assert session.fake.called("start") == [(HELLO,)]
        note = last_notification(session)
        assert (note.message, note.severity) == ("Started hello.", "information")
        table = session.app.screen.query_one(ContainerTable)
        assert table.get_row_at(1)[2].plain == "running"


async def test_start_of_running_container_reports_already_started(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("s")
        assert last_notification(session).message == "web is already running."


async def test_capital_s_stops_the_selected_container(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("S")
        assert session.fake.called("stop") == [(WEB, 10)]
        assert last_notification(session).message == "Stopped web."
        table = session.app.screen.query_one(ContainerTable)
        assert table.get_row_at(0)[2].plain == "exited"


async def test_stop_of_stopped_container_reports_already_stopped(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "S")
        note = last_notification(session)
        assert (note.message, note.severity) == ("hello is already stopped.", "information")


async def test_capital_r_restarts(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("R")
        assert session.fake.called("restart") == [(WEB, 10)]


async def test_delete_asks_with_focus_on_cancel_and_enter_cancels(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "d")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert "hello" in modal.question
        assert isinstance(session.app.focused, Button) and session.app.focused.id == "cancel"
        await session.press("enter")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("remove_container") == []


async def test_delete_escape_cancels(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("d", "escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("remove_container") == []


async def test_delete_confirmed_removes_the_container(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "d", "tab")
        assert focused_id(session) == "confirm"
        await session.press("enter")
        assert session.fake.called("remove_container") == [(HELLO, False)]
        table = session.app.screen.query_one(ContainerTable)
        assert [table.get_row_at(i)[0].plain for i in range(table.row_count)] == ["web", "db"]
        assert last_notification(session).message == "Deleted hello."


async def test_delete_of_running_container_warns_in_the_question(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("d")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert "It is running" in modal.question


async def test_r_then_enter_runs_the_selected_image_detached(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("2", "j", "r", "enter")
        assert session.fake.called("run_image") == [("busybox:latest",)]
        assert last_notification(session).message.startswith("Started container ")
        assert len(session.fake.containers) == 4


async def test_run_of_untagged_image_uses_its_id(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("2", "G", "r", "enter")
        assert session.fake.called("run_image") == [("sha256:" + "f" * 64,)]


async def test_image_delete_confirmed_untags_the_reference(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("2", "d")
        assert isinstance(session.app.screen, ConfirmModal)
        assert focused_id(session) == "cancel"
        await session.press("tab", "enter")
        assert session.fake.called("remove_image") == [("busybox:1.35", False)]
        assert session.app.screen.query_one(ImageTable).row_count == 4


@pytest.mark.parametrize(
    ("keys", "method", "title"),
    [
        (("s",), "start", "Start failed"),
        (("S",), "stop", "Stop failed"),
        (("R",), "restart", "Restart failed"),
        (("d", "tab", "enter"), "remove_container", "Delete failed"),
        (("2", "r", "enter"), "run_image", "Run failed"),
        (("2", "d", "tab", "enter"), "remove_image", "Delete failed"),
        (("l",), "logs", "Logs failed"),
    ],
)
async def test_engine_refusal_becomes_a_notification_with_its_message(
    run_app: RunApp, keys: tuple[str, ...], method: str, title: str
) -> None:
    message = f"conflict: unable to {method} [web] (must force) - it is in use"
    async with run_app() as session:
        session.fake.fail[method] = ConflictError(message, 409)
        await session.press(*keys)
        if method == "logs":
            await session.wait_until(lambda: bool(session.notifications))
        note = last_notification(session)
        assert (note.message, note.title, note.severity) == (message, title, "error")
        assert note.markup is False
        assert session.app.is_running


@pytest.mark.parametrize("error", [NotFoundError("No such container: web", 404),
                                   ServerError("crun: exec failed", 500)])
async def test_other_engine_errors_also_notify(run_app: RunApp, error: EngineError) -> None:
    async with run_app() as session:
        session.fake.fail["start"] = error
        await session.press("s")
        assert last_notification(session).message == error.message


async def test_stop_then_delete_of_one_container_both_complete_in_order(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.delays["stop"] = 0.5
    async with run_app() as session:
        await session.pilot.press("S", "d", "tab", "enter")
        await session.wait_until(lambda: len(session.fake.completed) == 2)
        assert session.fake.completed == [("stop", (WEB,)), ("remove_container", (WEB,))]
        await session.settle()
        messages = [n.message for n in session.notifications]
        assert "Stopped web." in messages and "Deleted web." in messages
        assert not [n for n in session.notifications if n.severity == "error"]


async def test_two_quick_runs_both_create_and_start_a_container(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.delays["run_image"] = 0.3
    async with run_app() as session:
        await session.pilot.press("2", "j", "r", "enter", "r", "enter")
        await session.wait_until(lambda: len(session.fake.completed) == 2)
        assert session.fake.completed == [("run_image", ("busybox:latest",))] * 2
        await session.settle()
        started = [n for n in session.notifications if n.message.startswith("Started container")]
        assert len(started) == 2
        assert len(session.fake.containers) == 5
