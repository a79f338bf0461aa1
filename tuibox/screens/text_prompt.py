"""Provides TextPrompt: asks for one line of text (a path, a window), checked before it answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

Check = Callable[[str], str | None]
"""Says what is wrong with an answer, or None when it will do."""


class TextPrompt(ModalScreen[str | None]):
    """A titled input holding `initial`; Enter answers the text once `check` accepts it, Esc
    answers None. A help line under the input says what is expected. An empty answer is
    refused unless `allow_empty` (then it answers "" without `check`)."""

    DEFAULT_CSS = "TextPrompt { align: center middle; }"
    """Centred like NamePrompt (the app's stylesheet styles the dialog by its ID)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without an answer."""

    def __init__(self, title: str, initial: str, *, help_text: str = "",
                 check: Check | None = None, allow_empty: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.allow_empty = allow_empty
        self.title_text = title
        self.initial = initial
        self.help_text = help_text
        self.check = check

    def compose(self) -> ComposeResult:
        """The title, the input, what is expected and what is wrong."""
        with Vertical(id="name-dialog"):
            yield Static(self.title_text, id="name-title", markup=False)
            yield Input(self.initial, id="prompt-input", select_on_focus=False)
            if self.help_text:
                yield Static(self.help_text, id="prompt-help", markup=False)
            yield Static("", id="name-problem", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the text, or say what is wrong with it."""
        event.stop()
        text = event.value.strip()
        if not text and self.allow_empty:
            self.dismiss("")
            return
        problem = "Type something, or Esc to cancel." if not text else None
        if problem is None and self.check is not None:
            problem = self.check(text)
        if problem:
            self.query_one("#name-problem", Static).update(problem)
        else:
            self.dismiss(text)

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
