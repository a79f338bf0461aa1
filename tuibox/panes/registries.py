"""Provides RegistriesPane: the registries the engine knows, their login state, login, browse."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tuibox.client.errors import EngineError
from tuibox.client.models import DOCKER_HUB_INDEX, EngineInfo
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.login_dialog import LoginDialog
from tuibox.screens.registry_browser import CatalogScreen
from tuibox.widgets.registry_list import RegistryRow, RegistryTable

INFO_POLL_FACTOR = 5
"""/info is heavier than the lists and changes only with the engine config: poll it less."""


def engine_summary(info: EngineInfo) -> str:
    """One line about the engine behind the registries, e.g. "host1 · 3 containers (1 running)"."""
    parts = [
        info.name or "engine",
        f"{info.containers} containers ({info.containers_running} running)",
        f"{info.images} images",
    ]
    if info.operating_system:
        parts.append(info.operating_system)
    return " · ".join(parts)


def registry_address(row: RegistryRow) -> str:
    """The host[:port] a row names (a mirror's URL without its scheme and path)."""
    return row.address.split("://", 1)[-1].split("/", 1)[0]


class RegistriesPane(EnginePane):
    """Docker Hub, its mirrors in order, insecure registries and those logged into, with
    the login state tuibox's engine keeps (GET /tuibox/v1/registries); from an engine without
    that list (a dockerd) the registries of /info, without login state."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "login", "Log in"),
        Binding("L", "logout", "Log out"),
        Binding("enter", "browse", "Browse", key_display="Enter", show=False),
    ]
    """Actions on the selected registry (the table takes Enter first: see _on_row_selected)."""

    def compose(self) -> ComposeResult:
        """A summary line and the table."""
        yield Static("", id="registries-summary", markup=False)
        yield RegistryTable(id="registries-table")

    @property
    def poll_interval(self) -> float:
        """/info is polled every few seconds."""
        return super().poll_interval * INFO_POLL_FACTOR

    @property
    def selected(self) -> RegistryRow | None:
        """The registry under the cursor."""
        return self.query_one(RegistryTable).selected_item

    async def fetch_and_show(self) -> None:
        """Fetch /info and the registries list, and show them."""
        try:
            info = await self.client.info()
            states = await self.client.list_registries()
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        summary = self.query_one("#registries-summary", Static)
        text = engine_summary(info)
        if str(summary.render()) != text:  # an unchanged update still costs a layout
            summary.update(text)
        table = self.query_one(RegistryTable)
        if states is None:
            table.show(info)
        else:
            table.show_states(states, info)

    def _require_registry(self) -> RegistryRow | None:
        row = self.selected
        if row is None:
            self.notify("No registry selected.", severity="warning")
        elif not row.browsable:
            self.notify(f"{row.address} is a range of addresses, not a registry.",
                        severity="warning", markup=False)  # fmt: skip
            return None
        return row

    def action_login(self) -> None:
        """Log into the selected registry (or another one typed in the dialog)."""
        row = self.selected
        server = registry_address(row) if row is not None and row.browsable else ""
        username = row.login.split(" ", 1)[0] if row is not None and row.logged_in else ""

        def on_status(status: str | None) -> None:
            if status:
                self.notify(status, markup=False)
                self.refresh_now()

        self.app.push_screen(LoginDialog(self.client, server, username), on_status)

    def action_logout(self) -> None:
        """Ask, then have the engine forget its login to the selected registry."""
        if (row := self._require_registry()) is None:
            return
        server = registry_address(row)
        if not row.logged_in:
            self.notify(f"Not logged in to {server}.", markup=False)
            return
        question = (f"Log out of {server}? The engine forgets the credentials it keeps for "
                    "it; pulls and pushes there go anonymous.")  # fmt: skip

        def on_answer(confirmed: bool | None) -> None:
            if not confirmed:
                return

            async def logout() -> str:
                await self.client.logout(server)
                return f"Removing login credentials for {server}"

            self.run_engine_action(f"login-{server}", "Logout failed", logout)

        self.app.push_screen(ConfirmModal("Log out", question, "Log out"), on_answer)

    @on(DataTable.RowSelected, "#registries-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_browse()

    def action_browse(self) -> None:
        """Browse the selected registry's catalog (Docker Hub's is not offered: the engine
        says so)."""
        if (row := self._require_registry()) is None:
            return
        host = DOCKER_HUB_INDEX if row.address == DOCKER_HUB_INDEX else registry_address(row)
        self.app.push_screen(CatalogScreen(self.client, host, clock=self.clock))
