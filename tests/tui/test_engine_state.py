"""Pilot tests: a lost engine, supervisor states, and unexpected failures never crash the app."""

from __future__ import annotations

from typing import Any

from tuibox.client.errors import InvalidArgumentError
from tuibox.messages import EngineStatusChanged
from tuibox.screens import ErrorModal, MainScreen
from tuibox.supervisor import EngineState, EngineStatus
from tuibox.widgets import ContainerTable, EngineHeader


def header(session: Any) -> EngineHeader:
    return session.app.screen_stack[0].query_one(EngineHeader)


async def test_lost_engine_shows_in_header_and_recovers(run_app: Any) -> None:
    async with run_app(poll_interval=0.05) as session:
        session.fake.unavailable = True
        await session.wait_until(lambda: header(session).view.badge == "lost")
        assert "cannot reach the engine" in header(session).view.detail
        assert session.app.has_class("-engine-down")
        table = session.app.screen.query_one(ContainerTable)
        assert table.row_count == 3, "the last known rows stay on screen"
        await session.press("s")
        assert session.notifications[-1].title == "Start failed"
        assert session.app.is_running
        session.fake.unavailable = False
        await session.wait_until(lambda: header(session).view.badge == "up")
        assert not session.app.has_class("-engine-down")


async def test_repeated_poll_error_notifies_once(run_app: Any) -> None:
    async with run_app(poll_interval=0.05) as session:
        session.fake.fail["list_images"] = InvalidArgumentError("bad filter [x]", 400)
        await session.wait_until(lambda: bool(session.notifications))
        calls_at_first_notice = len(session.fake.called("list_images"))
        await session.wait_until(
            lambda: len(session.fake.called("list_images")) > calls_at_first_notice + 3
        )
        await session.pilot.pause()
        messages = [n.message for n in session.notifications]
        assert messages.count("bad filter [x]") == 1


async def test_supervisor_states_show_in_header(run_app: Any) -> None:
    async with run_app() as session:
        app = session.app
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.STARTING)))
        await session.wait_until(lambda: header(session).view.badge == "starting")
        reason = "engine exited with code 1\ncrun not found: apt-get install crun"
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.RESTARTING, reason)))
        await session.wait_until(lambda: header(session).view.badge == "restarting")
        assert header(session).view.detail == "engine exited with code 1"
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.DOWN, reason)))
        await session.wait_until(lambda: header(session).view.badge == "down")
        assert session.notifications[-1].message == reason
        assert session.notifications[-1].title == "Engine down"
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.UP)))
        await session.wait_until(lambda: header(session).view.badge == "up")


async def test_unexpected_worker_failure_opens_error_modal(run_app: Any) -> None:
    async with run_app() as session:
        session.fake.fail["start"] = RuntimeError("bug in tuibox")  # not an EngineError
        await session.pilot.press("s")
        await session.wait_until(lambda: isinstance(session.app.screen, ErrorModal))
        assert "bug in tuibox" in str(session.app.screen.error)
        await session.pilot.press("escape")
        await session.wait_until(lambda: isinstance(session.app.screen, MainScreen))
        assert session.app.is_running
        failed = [w for w in session.app.workers if w.group.startswith("action-")]
        assert all(not w.is_running for w in failed)
