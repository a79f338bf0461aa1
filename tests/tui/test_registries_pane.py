"""Pilot tests: the Registries pane's login state, login (l) and logout (L), and Enter browsing a
catalog (paged, filtered) down to a repository's tags, where p pulls (fake engine)."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.conftest import FakeEngineClient
from tests.fake_registry import tuibox_registries
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import NotFoundError
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.screens.login_dialog import LoginDialog
from tuibox.screens.main import help_entries
from tuibox.screens.registry_browser import CatalogScreen, RepositoryTable
from tuibox.screens.registry_tags import RepositoryTagsScreen, TagTable, pull_reference
from tuibox.screens.transfer_dialog import TransferDialog
from tuibox.widgets.registry_list import RegistryTable

MIRROR = "127.0.0.1:5000"


def rows(session: Session) -> list[list[str]]:
    table = session.app.screen.query_one(RegistryTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_pane(session: Session) -> None:
    await session.press("3")


async def select(session: Session, address: str) -> None:
    table = session.app.screen.query_one(RegistryTable)
    table.move_cursor(row=[row[0] for row in rows(session)].index(address))
    await session.settle()


def text_of(session: Session, selector: str) -> str:
    return str(session.app.screen.query_one(selector, Static).content)


async def test_a_tuibox_engine_s_registries_show_their_login_state(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.registries = tuibox_registries()
    async with run_app() as session:
        await open_pane(session)
        assert rows(session) == [
            ["docker.io", "Docker Hub (default registry)", "https", "no",
             "1 mirror(s) tried first"],
            [MIRROR, "Docker Hub mirror", "http (insecure)", "no", "tried #1"],
            ["registry.local:5000", "insecure registry", "http (insecure)", "ci", ""],
            ["quay.example", "registry", "https", "bob (from config.json)", ""],
            ["127.0.0.0/8", "insecure range", "http allowed", "", "no TLS verification"],
        ]  # fmt: skip


async def test_a_dockerd_s_registries_come_from_info_without_a_login_column(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_pane(session)
        table = session.app.screen.query_one(RegistryTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "REGISTRY", "ROLE", "TRANSPORT", "NOTE"]
        assert rows(session)[1] == ["http://127.0.0.1:5000", "Docker Hub mirror", "http",
                                    "tried #1"]  # fmt: skip
        assert session.fake.called("list_registries")


async def test_l_logs_in_with_a_masked_password_kept_nowhere(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.registries = tuibox_registries()
    async with run_app() as session:
        await open_pane(session)
        await select(session, MIRROR)
        await session.press("l")
        dialog = session.app.screen
        assert isinstance(dialog, LoginDialog)
        assert dialog.query_one("#login-server", Input).value == MIRROR
        password = dialog.query_one("#login-password", Input)
        assert password.password  # masked
        dialog.query_one("#login-username", Input).value = "alice"
        password.value = "wrong"
        await session.press("enter")
        assert text_of(session, "#name-problem") == ("login attempt to http://127.0.0.1:5000/v2/ "
                                                     "failed with status: 401 Unauthorized")
        assert password.value == ""  # cleared at once, for another try
        password.value = "s3cret"
        await session.press("enter")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("login") == [(MIRROR, "alice", "***"), (MIRROR, "alice", "***")]
        assert session.notifications[-1].message == "Login Succeeded"
        await session.settle()
        assert rows(session)[1][3] == "alice"
        assert "s3cret" not in repr(vars(dialog)) and "s3cret" not in repr(vars(session.app))


async def test_capital_l_asks_then_logs_out(run_app: RunApp, fake_client: FakeEngineClient) -> None:
    fake_client.registries = tuibox_registries()
    async with run_app() as session:
        await open_pane(session)
        await select(session, MIRROR)
        await session.press("L")
        assert session.notifications[-1].message == f"Not logged in to {MIRROR}."
        await select(session, "registry.local:5000")
        await session.press("L")
        modal = session.app.screen
        assert isinstance(modal, ConfirmModal)
        assert "Log out of registry.local:5000?" in modal.question
        await session.press("tab", "enter")
        assert session.fake.called("logout") == [("registry.local:5000",)]
        assert session.notifications[-1].message == ("Removing login credentials for "
                                                     "registry.local:5000")
        await session.settle()
        assert rows(session)[2][3] == "no"


def repositories(session: Session) -> list[str]:
    table = session.app.screen.query_one(RepositoryTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def browse_mirror(session: Session) -> CatalogScreen:
    await open_pane(session)
    await select(session, "http://127.0.0.1:5000")
    await session.press("enter")
    screen = session.app.screen
    assert isinstance(screen, CatalogScreen)
    return screen


async def test_enter_browses_the_catalog_a_page_at_a_time_and_filters_it(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        screen = await browse_mirror(session)
        assert session.fake.called("registry_catalog") == [(MIRROR, None, 100)]
        assert len(repositories(session)) == 100 and repositories(session)[0] == "library/busybox"
        assert text_of(session, "#browse-status") == "100 repositories (more: m)"
        hundredth = sorted(session.fake.catalogs[MIRROR])[99]
        await session.press("m")
        assert session.fake.called("registry_catalog")[-1] == (MIRROR, hundredth, 100)
        assert len(repositories(session)) == 131
        assert text_of(session, "#browse-status") == "131 repositories (all loaded)"
        await session.press("m")
        assert session.notifications[-1].message == f"Every repository of {MIRROR} is loaded."
        await session.press("slash")
        screen.query_one(Input).value = "TEAM app07"
        await session.settle()
        assert repositories(session) == ["team/app07"]
        assert text_of(session, "#browse-status") == ("131 repositories (all loaded) · 1 match "
                                                      "“TEAM app07”")
        await session.press("escape", "escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_a_repository_s_tags_and_p_pulls_one(run_app: RunApp) -> None:
    async with run_app() as session:
        await browse_mirror(session)
        await session.press("enter")  # library/busybox, the first
        tags = session.app.screen
        assert isinstance(tags, RepositoryTagsScreen)
        table = tags.query_one(TagTable)
        assert [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)] == [
            ["1.36", "363636363636", "2.16MB", "linux/amd64, linux/arm64", "2 weeks ago"],
            ["latest", "9a9a9a9a9a9a", "2.21MB", "linux/amd64", "3 days ago"],
        ]
        assert session.fake.called("registry_tags") == [(MIRROR, "library/busybox", None, 25)]
        await session.pilot.press("p")
        await session.pilot.pause()
        dialog = session.app.screen
        assert isinstance(dialog, TransferDialog)
        await session.wait_until(lambda: dialog.state != "running")
        assert session.fake.called("pull_image") == [(f"{MIRROR}/library/busybox:1.36", None)]
        await session.press("escape")
        assert session.app.screen is tags


async def test_a_registry_without_a_catalog_says_so(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["registry_catalog"] = NotFoundError(
            "registry docker.io cannot list its repositories (/v2/_catalog): not offered "
            "(HTTP 404)", 404)  # fmt: skip
        await open_pane(session)
        await session.press("enter")
        assert text_of(session, "#browse-status").startswith("Cannot browse docker.io: registry "
                                                             "docker.io cannot list")
        assert session.notifications[-1].severity == "error"


async def test_an_address_range_is_not_browsed(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "127.0.0.0/8")
        await session.press("enter")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == ("127.0.0.0/8 is a range of addresses, "
                                                     "not a registry.")


def test_pull_references_name_docker_hub_as_the_cli_does() -> None:
    assert pull_reference("docker.io", "library/busybox", "1.36") == "busybox:1.36"
    assert pull_reference("docker.io", "team/app", "v1") == "team/app:v1"
    assert pull_reference(MIRROR, "library/busybox", "1") == f"{MIRROR}/library/busybox:1"


def test_the_help_lists_the_registry_keys() -> None:
    entries = help_entries([])
    for entry in [("Registries", "l", "Log in"), ("Registries", "L", "Log out"),
                  ("Registries", "Enter", "Browse"), ("Registry catalog", "/", "Filter"),
                  ("Registry catalog", "m", "More"), ("Registry tags", "p", "Pull"),
                  ("Pull/push dialog", "Esc", "Cancel / close")]:  # fmt: skip
        assert entry in entries
