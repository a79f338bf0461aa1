"""Pilot tests: the Images pane's r asks name, -p entries, network and command (fake engine)."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.tui.conftest import RunApp, Session
from tuibox.client import PortBinding
from tuibox.client.errors import NotFoundError
from tuibox.client.run_options import RunOptions
from tuibox.screens import MainScreen
from tuibox.screens.help import HelpScreen
from tuibox.screens.run_dialog import RunDialog


async def open_dialog(session: Session) -> RunDialog:
    """Select busybox:latest in the Images pane and press r."""
    await session.press("2", "j", "r")
    dialog = session.app.screen
    assert isinstance(dialog, RunDialog)
    return dialog


async def fill(session: Session, **fields: str) -> None:
    """Type into the dialog's inputs by field (name, ports, network, command), then Enter."""
    for field, text in fields.items():
        session.app.screen.query_one(f"#run-{field}", Input).value = text
    await session.press("enter")


def problem(session: Session) -> str:
    return str(session.app.screen.query_one("#name-problem", Static).render())


async def test_enter_on_empty_fields_runs_with_the_images_defaults(run_app: RunApp) -> None:
    async with run_app() as session:
        dialog = await open_dialog(session)
        assert dialog.reference == "busybox:latest"
        assert session.fake.called("run_image") == []
        await session.press("enter")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("run_image") == [("busybox:latest",)]


async def test_options_reach_the_client_parsed(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_dialog(session)
        await fill(session, name="web", ports="8080:80, 127.0.0.1:5353:53/udp",
                   network="front", command="httpd -f -p 80")  # fmt: skip
        assert session.fake.called("run_image") == [("busybox:latest", RunOptions(
            "web", (PortBinding("80/tcp", "", "8080"), PortBinding("53/udp", "127.0.0.1", "5353")),
            "front", ("httpd", "-f", "-p", "80"),
        ))]  # fmt: skip
        assert any(c.name == "web" for c in session.fake.containers)


async def test_bad_port_entry_is_named_and_nothing_runs(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_dialog(session)
        await fill(session, ports="8080:80 8080-8081:90-92")
        assert isinstance(session.app.screen, RunDialog)
        assert problem(session) == (
            "-p: invalid ranges specified for container and host Ports: 90-92 and 8080-8081"
        )
        assert session.app.screen.focused is session.app.screen.query_one("#run-ports")
        assert session.fake.called("run_image") == []
        await fill(session, ports="8080:80")
        assert session.fake.called("run_image") == [
            ("busybox:latest", RunOptions(ports=(PortBinding("80/tcp", "", "8080"),)))
        ]


async def test_bad_name_and_unbalanced_command_are_refused_in_the_dialog(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_dialog(session)
        await fill(session, name="-x")
        assert problem(session).startswith('Invalid container name "-x"')
        await fill(session, name="ok", command="sh -c 'echo")
        assert problem(session).startswith("invalid command")
        assert session.fake.called("run_image") == []


async def test_esc_runs_nothing(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_dialog(session)
        session.app.screen.query_one("#run-name", Input).value = "web"
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("run_image") == []


async def test_unknown_network_is_the_engines_refusal(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["run_image"] = NotFoundError("network nope not found", 404)
        await open_dialog(session)
        await fill(session, network="nope")
        note = session.notifications[-1]
        assert (note.message, note.title) == ("network nope not found", "Run failed")


async def test_tab_walks_the_fields_in_order(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_dialog(session)
        seen = [session.app.screen.focused.id if session.app.screen.focused else None]
        for _ in range(3):
            await session.press("tab")
            seen.append(session.app.screen.focused.id if session.app.screen.focused else None)
        assert seen == ["run-name", "run-ports", "run-network", "run-command"]


async def test_help_lists_the_run_key(run_app: RunApp) -> None:
    async with run_app() as session:
        await session.press("question_mark")
        assert isinstance(session.app.screen, HelpScreen)
        assert ("Images", "r", "Run") in session.app.screen.entries
