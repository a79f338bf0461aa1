"""Provides DetailsModal: a titled, scrollable text about one object; Esc or Enter closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class DetailsModal(ModalScreen[None]):
    """Shows `text` under `title` as plain text (nothing in it is markup)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close")]
    """Esc, Enter or q closes it."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        """The title and the text."""
        with Vertical(id="details-dialog"):
            yield Static(self.title_text, id="details-title", markup=False)
            with VerticalScroll(id="details-body"):
                yield Static(self.text, markup=False)
