"""Provides HelpScreen: every key binding of tuibox, by where it works."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tuibox.screens.container import ContainerScreen
from tuibox.screens.image_detail import ImageDetailScreen
from tuibox.screens.registry_browser import CatalogScreen
from tuibox.screens.registry_tags import RepositoryTagsScreen
from tuibox.screens.transfer_dialog import TransferDialog
from tuibox.widgets.detail_tables import EnvTable
from tuibox.widgets.inspect_tree import InspectTree
from tuibox.widgets.layer_file_tree import LayerFileTree
from tuibox.widgets.log_view import LogView
from tuibox.widgets.search_bar import SearchBar

HelpEntry = tuple[str, str, str]
"""(where, keys, what) for one line of the help."""

KEY_NAMES = {"question_mark": "?", "shift+tab": "Shift+Tab", "tab": "Tab", "escape": "Esc"}

MOVEMENT_ENTRIES: tuple[HelpEntry, ...] = (
    ("Lists", "↑ ↓  j k", "Move the selection"),
    ("Lists", "PgUp PgDn  g G", "Page up / down, first / last row"),
)


def _key_text(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return " ".join(KEY_NAMES.get(key, key) for key in binding.key.split(","))


def binding_entries(where: str, bindings: Iterable[BindingType]) -> list[HelpEntry]:
    """Turn a BINDINGS list into help lines (bindings without a description are skipped).

    Args:
        where: Where the keys work, e.g. "Containers".
        bindings: A class's BINDINGS.

    Returns:
        One (where, keys, description) per described binding.
    """
    entries: list[HelpEntry] = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            entries.append((where, _key_text(binding), binding.description))
    return entries


CONTAINER_ENTRIES: tuple[HelpEntry, ...] = (
    *binding_entries("Container", ContainerScreen.BINDINGS),
    *binding_entries("Logs tab", LogView.BINDINGS),
    *binding_entries("Inspect tab", InspectTree.BINDINGS),
    *binding_entries("Env tab", EnvTable.BINDINGS),
    *binding_entries("Search bar", SearchBar.BINDINGS),
)
"""The container screen's keys, its tabs' own keys and the search bar's, for the help."""

IMAGE_DETAIL_ENTRIES: tuple[HelpEntry, ...] = (
    *binding_entries("Image", ImageDetailScreen.BINDINGS),
    *binding_entries("Layers tab", LayerFileTree.BINDINGS),
)
"""The image detail screen's keys and its file tree's, for the help."""


REGISTRY_BROWSER_ENTRIES: tuple[HelpEntry, ...] = (
    *binding_entries("Registry catalog", CatalogScreen.BINDINGS),
    *binding_entries("Registry tags", RepositoryTagsScreen.BINDINGS),
    *binding_entries("Pull/push dialog", TransferDialog.BINDINGS),
)
"""The registry browser's keys and the pull/push dialog's, for the help."""


class HelpScreen(ModalScreen[None]):
    """A table of all keys; Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]
    """Close keys."""

    def __init__(self, entries: Sequence[HelpEntry]) -> None:
        super().__init__()
        self.entries = list(entries)

    def compose(self) -> ComposeResult:
        """Title and the key table."""
        with Vertical(id="help-dialog"):
            yield Static("tuibox keys · Esc to close", id="help-title", markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill the table."""
        table: DataTable[Text] = self.query_one("#help-table", DataTable)
        table.add_columns("WHERE", "KEYS", "ACTION")
        for where, keys, what in self.entries:
            table.add_row(Text(where), Text(keys, style="bold"), Text(what))
        table.focus()
