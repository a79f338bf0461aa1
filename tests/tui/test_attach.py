"""Pilot tests: a attaches to a running TTY container's own terminal through a bridge run with
the TUI suspended (the detach keys shown first), and says afterwards whether it still runs;
the fake client's bridge is a fake."""

from __future__ import annotations

from tests.tui.conftest import RunApp
from tests.tui.test_shell import WEB, FakeTerminal, pane


async def test_a_attaches_to_a_tty_container_and_says_it_still_runs(run_app: RunApp) -> None:
    async with run_app() as session:
        terminal = FakeTerminal()
        pane(session).run_in_terminal = terminal
        session.fake.inspect_extra[WEB] = {"Config": {"Tty": True, "OpenStdin": True}}
        await session.press("a")
        await session.settle()
        (bridge,) = session.fake.bridges
        assert bridge.exec_id == WEB and bridge.runs == [(0, 1)] and terminal.runs == 1
        assert "ctrl-p ctrl-q detaches" in bridge.banner
        assert session.notifications[-1].message == "Detached from web; it is still running."


async def test_after_the_container_exits_its_code_is_told(run_app: RunApp) -> None:
    async with run_app() as session:
        pane(session).run_in_terminal = FakeTerminal()
        session.fake.inspect_extra[WEB] = {"Config": {"Tty": True},
                                           "State": {"Running": False, "ExitCode": 4}}  # fmt: skip
        await session.press("a")
        await session.settle()
        assert session.notifications[-1].message == "web exited with 4."


async def test_a_container_without_a_terminal_is_not_attached(run_app: RunApp) -> None:
    async with run_app() as session:
        pane(session).run_in_terminal = FakeTerminal()
        await session.press("a")  # web was made without -t
        await session.settle()
        assert session.fake.bridges == []
        assert "has no terminal (it was not made with -t)" in session.notifications[-1].message


async def test_a_stopped_container_is_not_attached(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("j", "a")  # hello, exited
        assert session.fake.called("inspect_container") == []
        assert "is not running: start it first" in session.notifications[-1].message
