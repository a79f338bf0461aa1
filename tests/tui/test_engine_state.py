"""Pilot tests: a lost engine, supervisor states, and unexpected failures never crash the app."""

from __future__ import annotations

from textual.widgets import Static

from tests.conftest import FakeEngineClient
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import InvalidArgumentError
from tuibox.messages import EngineStatusChanged
from tuibox.screens import ErrorModal, MainScreen
from tuibox.supervisor import EngineState, EngineStatus
from tuibox.widgets import ContainerTable, EngineHeader


def header(session: Session) -> EngineHeader:
    return session.app.screen_stack[0].query_one(EngineHeader)


async def test_lost_engine_shows_in_header_and_recovers(run_app: RunApp) -> None:
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


async def test_repeated_poll_error_notifies_once(run_app: RunApp) -> None:
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


CRUN_CAUSE = "crun is not installed (not on PATH) -- fix: apt-get install crun conmon"
CRUN_DETAILS = f"engine exited with code 1\ntuibox engine: {CRUN_CAUSE}"


async def test_supervisor_states_show_in_header_with_the_cause(run_app: RunApp) -> None:
    async with run_app() as session:
        app = session.app
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.STARTING)))
        await session.wait_until(lambda: header(session).view.badge == "starting")
        restarting = EngineStatus(
            EngineState.RESTARTING, "engine crashed: boom (restarting in 0.5s)",
            details="engine exited with code -11\nengine crashed: boom",
        )
        app.post_message(EngineStatusChanged(restarting))
        await session.wait_until(lambda: header(session).view.badge == "restarting")
        assert header(session).view.detail == "engine crashed: boom (restarting in 0.5s)"
        session.fake.unavailable = True  # a down engine answers no poll (one would clear it)
        down = EngineStatus(EngineState.DOWN, CRUN_CAUSE, details=CRUN_DETAILS)
        app.post_message(EngineStatusChanged(down))
        await session.wait_until(lambda: header(session).view.badge == "down")
        assert header(session).view.detail == CRUN_CAUSE
        assert CRUN_CAUSE in header(session).render().plain
        note = session.notifications[-1]
        assert note.title == "Engine down"
        assert note.message == f"{CRUN_CAUSE}\nPress e for the details."
        session.fake.unavailable = False
        app.post_message(EngineStatusChanged(EngineStatus(EngineState.UP)))
        await session.wait_until(lambda: header(session).view.badge == "up")


async def test_e_opens_the_full_reason_the_engine_is_down(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.unavailable = True  # a down engine answers no poll (one would clear it)
        session.app.post_message(
            EngineStatusChanged(EngineStatus(EngineState.DOWN, CRUN_CAUSE, details=CRUN_DETAILS))
        )
        await session.wait_until(lambda: header(session).view.badge == "down")
        await session.press("e")
        modal = session.app.screen
        assert isinstance(modal, ErrorModal)
        assert (modal.title_text, modal.header, modal.error) == (
            "Engine problem", CRUN_CAUSE, CRUN_DETAILS,
        )
        shown = modal.query_one("#error-details Static", Static).render()
        assert "engine exited with code 1" in str(shown)
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_e_with_the_engine_up_says_so(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("e")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == "The engine is up; there is no problem to show."


async def test_engine_answering_after_down_brings_header_back_up_and_renames_it(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    async with run_app(poll_interval=0.05) as session:
        session.fake.unavailable = True
        session.app.post_message(
            EngineStatusChanged(EngineStatus(EngineState.DOWN, CRUN_CAUSE, details=CRUN_DETAILS))
        )
        await session.wait_until(lambda: header(session).view.badge == "down")
        versions_before = len(fake_client.called("version"))
        session.fake.unavailable = False
        await session.wait_until(lambda: header(session).view.badge == "up")
        assert len(fake_client.called("version")) > versions_before, "the engine is named again"
        assert header(session).view.identity == "tuibox 0.1.0 · API 1.44"
        assert not session.app.has_class("-engine-down")


async def test_unexpected_worker_failure_opens_error_modal(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["start"] = RuntimeError("bug in tuibox")  # not an EngineError
        await session.pilot.press("s")
        await session.wait_until(lambda: isinstance(session.app.screen, ErrorModal))
        modal = session.app.screen
        assert isinstance(modal, ErrorModal)
        assert "bug in tuibox" in str(modal.error)
        await session.pilot.press("escape")
        await session.wait_until(lambda: isinstance(session.app.screen, MainScreen))
        assert session.app.is_running
        failed = [w for w in session.app.workers if w.group.startswith("action-")]
        assert all(not w.is_running for w in failed)


async def test_repeated_unexpected_failure_opens_one_error_modal(run_app: RunApp) -> None:
    async with run_app(poll_interval=0.05) as session:
        session.fake.fail["list_images"] = ValueError("not Docker JSON")  # not an EngineError
        await session.wait_until(lambda: isinstance(session.app.screen, ErrorModal))
        calls = len(session.fake.called("list_images"))
        await session.wait_until(lambda: len(session.fake.called("list_images")) > calls + 3)
        modals = [s for s in session.app.screen_stack if isinstance(s, ErrorModal)]
        assert len(modals) == 1
        assert session.app.is_running
