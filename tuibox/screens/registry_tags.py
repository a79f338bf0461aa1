"""Provides RepositoryTagsScreen: a repository's tags (digest, size, platforms, age); p pulls."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from tuibox.client.errors import EngineError
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.registries import TagInfo
from tuibox.screens.transfer_dialog import pull_dialog
from tuibox.widgets.format import age, human_size, short_id
from tuibox.widgets.resource_table import ResourceTable

TAG_PAGE = 25
"""Tags asked at once: each costs the engine a manifest or two and a config."""
HUB = "docker.io"


def pull_reference(host: str, repository: str, tag: str) -> str:
    """What to pull for `tag`: Docker Hub's names without their host, others with it."""
    if host == HUB:
        return f"{repository.removeprefix('library/')}:{tag}"
    return f"{host}/{repository}:{tag}"


class TagTable(ResourceTable[TagInfo]):
    """Tags in the registry's order: digest, size, platforms, created."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("tag", "TAG"),
        ("digest", "DIGEST"),
        ("size", "SIZE"),
        ("platforms", "PLATFORMS"),
        ("created", "CREATED"),
    )

    def show(self, tags: list[TagInfo], now: float) -> None:
        """Display `tags`; a tag the engine could not read says why in place of its figures."""
        self.sync([(tag.tag, tag, self._cells_for(tag, now)) for tag in tags])

    @staticmethod
    def _cells_for(tag: TagInfo, now: float) -> tuple[Text, ...]:
        if tag.error:
            return (Text(tag.tag, style="bold"), Text("-"), Text("-"),
                    Text(tag.error, style="red"), Text("-"))  # fmt: skip
        return (
            Text(tag.tag, style="bold"),
            Text(short_id(tag.digest)),
            Text(human_size(tag.size), justify="right"),
            Text(", ".join(tag.platforms) or "-"),
            Text(age(tag.created, now) if tag.created else "-"),
        )


class RepositoryTagsScreen(Screen[None]):
    """Loads the tags a page at a time (`m` for more); `p` pulls the selected one in the pull
    dialog; Esc goes back to the catalog."""

    DEFAULT_CSS = """
    RepositoryTagsScreen #tags-title { padding: 0 1; text-style: bold; }
    RepositoryTagsScreen #tags-status { padding: 0 1; color: $text-muted; }
    RepositoryTagsScreen #tags-table { height: 1fr; }
    """
    """Title, status, table, footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("p", "pull", "Pull"),
        Binding("m", "more", "More"),
    ]
    """Keys of the tags list."""

    def __init__(self, client: EngineClientProtocol, host: str, repository: str, *,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        super().__init__()
        self.client = client
        self.host = host
        self.repository = repository
        self.clock = clock
        self.tags: list[TagInfo] = []
        self.next: str | None = None
        self.complete = False

    def compose(self) -> ComposeResult:
        """Title, status, table, footer."""
        yield Static(f"{self.host}/{self.repository} · tags", id="tags-title", markup=False)
        yield Static("Loading… (each tag is read from its manifest and config)",
                     id="tags-status", markup=False)  # fmt: skip
        yield TagTable(id="tags-table")
        yield Footer()

    def on_mount(self) -> None:
        """Load the first page."""
        self.query_one(TagTable).focus()
        self.load_page()

    @work(exclusive=True, group="tags", exit_on_error=False)
    async def load_page(self) -> None:
        """Ask for the tags after the last loaded, then show them."""
        status = self.query_one("#tags-status", Static)
        try:
            page = await self.client.registry_tags(self.host, self.repository, self.next,
                                                   TAG_PAGE)  # fmt: skip
        except EngineError as err:
            status.update(f"Cannot list the tags: {err.message}")
            self.notify(err.message, title="Browse failed", severity="error", markup=False)
            return
        known = {tag.tag for tag in self.tags}
        self.tags += [tag for tag in page.tags if tag.tag not in known]
        self.next, self.complete = page.next, page.next is None
        self.query_one(TagTable).show(self.tags, self.clock())
        more = "all loaded" if self.complete else "more: m"
        status.update(f"{len(self.tags)} tag(s) ({more}) · p pulls the selected one")

    def action_more(self) -> None:
        """Load the next page (when there is one)."""
        if self.complete:
            self.notify(f"Every tag of {self.repository} is loaded.", markup=False)
            return
        self.load_page()

    def action_pull(self) -> None:
        """Pull the selected tag, with the pull dialog."""
        tag = self.query_one(TagTable).selected_item
        if tag is None:
            self.notify("No tag selected.", severity="warning")
            return
        self.app.push_screen(pull_dialog(self.client, pull_reference(self.host, self.repository,
                                                                     tag.tag)))  # fmt: skip

    def action_back(self) -> None:
        """Back to the catalog."""
        self.dismiss(None)
