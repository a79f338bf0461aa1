"""Provides SearchBar: the one-line search input under a searchable view (`/`)."""

from __future__ import annotations

from typing import ClassVar, Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input


class Searchable(Protocol):
    """A view that highlights a text and moves between its matches."""

    def search(self, query: str) -> None: ...

    def focus(self, scroll_visible: bool = True) -> object: ...


class SearchBar(Input):
    """Hidden until a view asks (Requested); Enter searches that view, Esc closes unchanged."""

    DEFAULT_CSS = """
    SearchBar { dock: bottom; display: none; height: 1; border: none; padding: 0 1; }
    SearchBar.-open { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close search")]
    """Esc closes the bar and goes back to the view."""

    class Requested(Message):
        """Posted by a searchable view on `/`, with the query it searched last."""

        def __init__(self, view: Widget, query: str) -> None:
            super().__init__()
            self.view = view
            self.query = query

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="search (any case) · Enter to find, Esc to close", id=id)
        self.view: Searchable | None = None

    def open(self, view: Searchable, query: str) -> None:
        """Show the bar for `view`, holding its last query."""
        self.view = view
        self.value = query
        self.add_class("-open")
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Search the view and give it the focus back."""
        event.stop()
        view = self.view
        self.action_close()
        if view is not None:
            view.search(event.value)

    def action_close(self) -> None:
        """Hide the bar and focus the view."""
        self.remove_class("-open")
        if self.view is not None:
            self.view.focus()


class Searching(Vertical):
    """A searchable view with its SearchBar under it; the view's `/` opens the bar."""

    DEFAULT_CSS = """
    Searching { height: 1fr; }
    Searching > * { height: 1fr; }
    Searching > SearchBar { height: 1; }
    """

    def __init__(self, view: Widget, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view

    def compose(self) -> ComposeResult:
        """The view, then the (hidden) bar."""
        yield self.view
        yield SearchBar()

    @on(SearchBar.Requested)
    def _open_bar(self, event: SearchBar.Requested) -> None:
        event.stop()
        self.query_one(SearchBar).open(cast(Searchable, event.view), event.query)
