"""Provides NamePrompt: asks for a container or volume name, checked as the engine checks it."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

NAME_PATTERN = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
"""Docker's container and volume names: what the engine would refuse is caught first."""


class NamePrompt(ModalScreen[str | None]):
    """An input holding `initial`; Enter answers the new name, Esc answers None.

    The initial name unchanged answers None (nothing to do); an empty one answers "" only
    when `allow_empty` (the engine then picks a name).
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without a name."""

    def __init__(self, title: str, initial: str, *, allow_empty: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        """The title, the input and a line for what is wrong with the name."""
        with Vertical(id="name-dialog"):
            yield Static(self.title_text, id="name-title", markup=False)
            placeholder = "empty: a random name" if self.allow_empty else ""
            yield Input(self.initial, placeholder=placeholder, id="name-input",
                        select_on_focus=True)  # fmt: skip
            yield Static("", id="name-problem", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the name, or say what is wrong with it."""
        event.stop()
        name = event.value.strip()
        if name and name == self.initial:
            self.dismiss(None)
        elif not name and self.allow_empty:
            self.dismiss("")
        elif not NAME_PATTERN.match(name):
            self.query_one("#name-problem", Static).update(
                "A name is two or more of a-z A-Z 0-9 _ . - (starting with a letter or digit)."
            )
        else:
            self.dismiss(name)

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
