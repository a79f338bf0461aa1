"""Pilot tests: the Networks pane's c connects a container (aliases, --ip) and x disconnects one."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from tests.conftest import FRONT_ID
from tests.tui.conftest import RunApp, Session
from tests.tui.test_networks_pane import open_pane, rows, select
from tuibox.client.errors import ConflictError
from tuibox.screens import MainScreen
from tuibox.screens.choice import ChoiceModal
from tuibox.screens.connect_dialog import ConnectDialog, ipv4_problem
from tuibox.screens.network_details import NetworkDetailsModal


def choices(session: Session) -> list[str]:
    options = session.app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def pick(session: Session, label_start: str) -> None:
    options = session.app.screen.query_one(OptionList)
    options.highlighted = next(i for i, label in enumerate(choices(session))
                               if label.startswith(label_start))  # fmt: skip
    await session.press("enter")


async def press_on(session: Session, network: str, key: str) -> None:
    """Open the Networks pane, select `network` and press `key` on it."""
    await open_pane(session)
    await select(session, network)
    await session.press(key)


async def fill(session: Session, aliases: str = "", ip: str = "") -> None:
    session.app.screen.query_one("#connect-aliases", Input).value = aliases
    session.app.screen.query_one("#connect-ip", Input).value = ip
    await session.press("enter")


async def test_c_offers_the_containers_not_on_the_network_and_connects_one(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await press_on(session, "front", "c")
        assert isinstance(session.app.screen, ChoiceModal)
        assert choices(session) == ["hello  (exited, hello-world)", "db  (created, busybox:latest)"]
        await pick(session, "db")
        dialog = session.app.screen
        assert isinstance(dialog, ConnectDialog) and dialog.subnet == "10.5.0.0/24"
        await fill(session, aliases="pg, db-main pg", ip="10.5.0.9")
        assert session.fake.called("connect_network") == [
            (FRONT_ID, "e5" * 32, ("pg", "db-main"), "10.5.0.9")]
        assert session.notifications[-1].message == "Connected db to front."
        await session.settle()
        assert rows(session)[2][:5] == ["front", "bridge", "10.5.0.0/24", "10.5.0.1",
                                        "2 (1 running)"]  # fmt: skip


async def test_an_address_outside_the_subnet_is_said_before_asking_the_engine(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await press_on(session, "front", "c")
        await pick(session, "hello")
        await fill(session, ip="10.6.0.9")
        problem = str(session.app.screen.query_one("#name-problem", Static).content)
        assert problem == "10.6.0.9 is not in the network's subnet 10.5.0.0/24"
        await fill(session, ip="")  # empty: the engine picks the address
        assert session.fake.called("connect_network") == [(FRONT_ID, "c3" * 32, (), "")]


async def test_the_engine_s_refusal_of_a_connect_is_shown(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["connect_network"] = ConflictError(
            "Address already in use", 403)
        await press_on(session, "front", "c")
        await pick(session, "db")
        await fill(session, ip="10.5.0.2")
        note = session.notifications[-1]
        assert (note.title, note.message, note.severity) == (
            "Connect failed", "Address already in use", "error")


async def test_host_and_none_are_refused_in_docker_s_words_and_esc_connects_nothing(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "host")
        await session.press("c")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == ("container cannot be disconnected from "
                                                     "host network or connected to host network")
        await select(session, "back")
        await session.press("c", "escape")
        await session.press("c")
        await pick(session, "web")
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("connect_network") == []


async def test_x_lists_the_attached_containers_and_disconnects_the_one_chosen(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await press_on(session, "front", "x")
        assert isinstance(session.app.screen, ChoiceModal)
        assert choices(session) == ["web  (running)"]
        await pick(session, "web")
        assert session.fake.called("disconnect_network") == [(FRONT_ID, "a1" * 32, False)]
        assert session.notifications[-1].message == "Disconnected web from front."
        await session.settle()
        assert rows(session)[2][4] == "0"
        await session.press("x")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == "No container is attached to front."


def test_ipv4_problems() -> None:
    assert ipv4_problem("10.5.0.300", "10.5.0.0/24") == "invalid IPv4 address: 10.5.0.300"
    assert ipv4_problem("fd00::5", "") == ("--ip takes an IPv4 address; fd00::5 is IPv6 "
                                           "(--ip6 is not offered here)")  # fmt: skip
    assert ipv4_problem("10.5.0.7", "") is None
    assert ipv4_problem("10.5.0.7", "10.5.0.0/24") is None


async def test_d_in_a_network_s_details_disconnects_one_of_its_containers(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "front")
        await session.press("enter")
        assert isinstance(session.app.screen, NetworkDetailsModal)
        await session.press("d")
        modal = session.app.screen
        assert isinstance(modal, ChoiceModal)
        assert modal.title_text == "Disconnect which container from front?"
        await pick(session, "web")
        assert session.fake.called("disconnect_network") == [(FRONT_ID, "a1" * 32, False)]
        assert isinstance(session.app.screen, MainScreen)
