"""Provides ErrorModal: shows an unexpected failure instead of crashing the app."""

from __future__ import annotations

import traceback
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ErrorModal(ModalScreen[None]):
    """A box with what went wrong: a title, one-line summary and the details.

    The details are an exception's traceback (a bug report), or a text such as the
    engine's own explanation of why it is down.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close")]
    """Esc closes the box."""

    def __init__(self, title: str, header: str, error: BaseException | str) -> None:
        super().__init__()
        self.title_text = title
        self.header = header
        self.error = error

    def compose(self) -> ComposeResult:
        """Title, one-line summary, scrollable traceback, Close button."""
        if isinstance(self.error, str):
            details = self.error
        else:
            details = "".join(traceback.format_exception(self.error)).rstrip()
        with Vertical(id="error-dialog"):
            yield Static(self.title_text, id="error-title", markup=False)
            yield Static(self.header, id="error-header", markup=False)
            with VerticalScroll(id="error-details"):
                yield Static(details, markup=False)
            yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        """Focus the Close button."""
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close the box."""
        event.stop()
        self.dismiss(None)
