"""Pilot tests: x opens a shell (sh, or bash when the image has it, asked once per image)
through a terminal bridge run with the TUI suspended; the fake client's bridge is a fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from textual.app import App

from tests.conftest import FakeBridge
from tests.tui.conftest import RunApp, Session
from tuibox.client.protocol import Bridge
from tuibox.panes.containers import ContainersPane
from tuibox.screens import MainScreen
from tuibox.screens.choice import ChoiceModal
from tuibox.widgets import ContainerTable

WEB = "a1" * 32


class FakeTerminal:
    """Stands in for the real terminal: runs the bridge inside a fake suspend, and while
    "suspended" asks the app to repaint many times, as timers and streams would."""

    def __init__(self) -> None:
        self.runs = 0
        self.suspended = False

    @contextmanager
    def _suspend(self) -> Iterator[None]:
        self.suspended = True
        try:
            yield
        finally:
            self.suspended = False

    def __call__(self, app: App[object], bridge: Bridge) -> bool:
        with app.batch_update(), self._suspend():
            for _ in range(100):
                app.refresh()
            bridge.run(0, 1)
        self.runs += 1
        return True


def pane(session: Session) -> ContainersPane:
    return session.app.screen.query_one(ContainersPane)


async def test_x_opens_sh_when_the_image_has_no_bash(run_app: RunApp) -> None:
    async with run_app() as session:
        terminal = FakeTerminal()
        pane(session).run_in_terminal = terminal
        session.fake.shell_exit = 3
        await session.press("x")
        await session.settle()
        commands = [call[1] for call in session.fake.called("exec_create")]
        assert commands == [["sh", "-c", "command -v bash >/dev/null"], ["sh"]]
        assert terminal.runs == 1 and isinstance(session.fake.bridges[0], FakeBridge)
        assert session.fake.bridges[0].runs == [(0, 1)]
        assert session.notifications[-1].message == "The sh shell in web exited with 3."


async def test_bash_is_offered_once_per_image_and_remembered(run_app: RunApp) -> None:
    async with run_app() as session:
        pane(session).run_in_terminal = FakeTerminal()
        session.fake.has_bash = True
        await session.pilot.press("x")  # not press(): its settle would wait for the choice
        await session.wait_until(lambda: isinstance(session.app.screen, ChoiceModal))
        await session.press("enter")  # bash, the first choice
        assert [c[1] for c in session.fake.called("exec_create")][-1] == ["bash"]
        await session.press("x")
        await session.settle()
        assert isinstance(session.app.screen, MainScreen), "not asked again"
        assert [c[1] for c in session.fake.called("exec_create")][-1] == ["bash"]
        assert len(session.fake.called("exec_create")) == 3, "one probe, two shells"


async def test_the_app_answers_keys_after_a_shell(run_app: RunApp) -> None:
    async with run_app() as session:
        terminal = FakeTerminal()
        pane(session).run_in_terminal = terminal
        await session.press("x")
        await session.settle()
        async with asyncio.timeout(5):  # would hang if the suspend path deadlocked
            await session.press("j")
        table = session.app.screen.query_one(ContainerTable)
        assert table.cursor_row == 1 and terminal.runs == 1 and not terminal.suspended


async def test_a_stopped_container_gets_no_shell(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "x")  # hello, exited
        assert session.fake.called("exec_create") == []
        assert "is not running: start it first" in session.notifications[-1].message


async def test_without_a_real_terminal_the_shell_is_refused_clearly(run_app: RunApp) -> None:
    async with run_app() as session:  # headless: App.suspend is not supported
        await session.press("x")
        await session.settle()
        assert session.notifications[-1].severity == "error"
        assert "needs a real terminal" in session.notifications[-1].message
