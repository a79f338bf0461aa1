"""Provides CatalogScreen: a registry's repositories, page by page, filtered as you type."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tuibox.client.errors import EngineError
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.registries import CATALOG_PAGE
from tuibox.screens.registry_tags import RepositoryTagsScreen
from tuibox.widgets.resource_table import ResourceTable


class RepositoryTable(ResourceTable[str]):
    """The repositories loaded so far, by name."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (("name", "REPOSITORY"),)

    def show(self, names: list[str]) -> None:
        """Display `names` in order."""
        self.sync([(name, name, (Text(name),)) for name in names])


def matching(names: list[str], text: str) -> list[str]:
    """The names containing every word of `text` (case-insensitive)."""
    words = text.lower().split()
    return [name for name in names if all(word in name.lower() for word in words)]


class CatalogScreen(Screen[None]):
    """Loads the catalog a page at a time (`m` for the next one); `/` filters what is
    loaded; Enter opens a repository's tags; Esc goes back."""

    DEFAULT_CSS = """
    CatalogScreen #browse-title { padding: 0 1; text-style: bold; }
    CatalogScreen #browse-status { padding: 0 1; color: $text-muted; }
    CatalogScreen #browse-filter { height: 1; border: none; padding: 0 1; margin: 0 1; }
    CatalogScreen #browse-table { height: 1fr; }
    """
    """Title, status, filter, table, footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("m", "more", "More"),
        Binding("enter", "open", "Tags", key_display="Enter", show=False),
    ]
    """Keys of the catalog (the table takes Enter first: see _on_row_selected)."""

    def __init__(self, client: EngineClientProtocol, host: str, *,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        super().__init__()
        self.client = client
        self.host = host
        self.clock = clock
        self.names: list[str] = []
        self.next: str | None = None
        self.complete = False
        """Whether the registry said there is no page after the last loaded."""

    def compose(self) -> ComposeResult:
        """Title, status line, filter, table, footer."""
        yield Static(f"Registry {self.host} · repositories", id="browse-title", markup=False)
        yield Static("Loading…", id="browse-status", markup=False)
        yield Input(placeholder="/ filter: words the name must contain", id="browse-filter")
        yield RepositoryTable(id="browse-table")
        yield Footer()

    def on_mount(self) -> None:
        """Load the first page."""
        self.query_one(RepositoryTable).focus()
        self.load_page()

    @work(exclusive=True, group="catalog", exit_on_error=False)
    async def load_page(self) -> None:
        """Ask for the page after the last loaded, then show it."""
        status = self.query_one("#browse-status", Static)
        try:
            page = await self.client.registry_catalog(self.host, self.next, CATALOG_PAGE)
        except EngineError as err:
            status.update(f"Cannot browse {self.host}: {err.message}")
            self.notify(err.message, title="Browse failed", severity="error", markup=False)
            return
        self.names += [name for name in page.repositories if name not in self.names]
        self.next = page.next
        self.complete = page.next is None
        self._show()

    def _show(self) -> None:
        text = self.query_one("#browse-filter", Input).value
        shown = matching(self.names, text)
        self.query_one(RepositoryTable).show(shown)
        more = "all loaded" if self.complete else "more: m"
        filtered = f" · {len(shown)} match “{text.strip()}”" if text.strip() else ""
        self.query_one("#browse-status", Static).update(
            f"{len(self.names)} repositories ({more}){filtered}")

    @on(Input.Changed, "#browse-filter")
    def _on_filter_changed(self) -> None:
        self._show()

    @on(Input.Submitted, "#browse-filter")
    def _on_filter_submitted(self) -> None:
        self.query_one(RepositoryTable).focus()

    def action_filter(self) -> None:
        """Type a filter."""
        self.query_one("#browse-filter", Input).focus()

    def action_more(self) -> None:
        """Load the next page (when there is one)."""
        if self.complete:
            self.notify(f"Every repository of {self.host} is loaded.", markup=False)
            return
        self.load_page()

    @on(DataTable.RowSelected, "#browse-table")
    def _on_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Show the selected repository's tags."""
        name = self.query_one(RepositoryTable).selected_item
        if name is None:
            self.notify("No repository selected.", severity="warning")
            return
        self.app.push_screen(RepositoryTagsScreen(self.client, self.host, name, clock=self.clock))

    def action_back(self) -> None:
        """Esc in the filter leaves the filter; elsewhere it goes back."""
        if self.focused is self.query_one("#browse-filter", Input):
            self.query_one(RepositoryTable).focus()
            return
        self.dismiss(None)
