"""Provides RenameModal: a new name for a container, checked as the engine checks it."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

NAME_PATTERN = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
"""Docker's container names: what the engine would refuse is caught before asking it."""


class RenameModal(ModalScreen[str | None]):
    """An input holding the current name; Enter renames, Esc keeps it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without renaming."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        """The title, the input and a line for what is wrong with the name."""
        with Vertical(id="rename-dialog"):
            yield Static(f"Rename {self.current}", id="rename-title", markup=False)
            yield Input(self.current, id="rename-input", select_on_focus=True)
            yield Static("", id="rename-problem", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the new name, or say what is wrong with it."""
        event.stop()
        name = event.value.strip()
        if name == self.current:
            self.dismiss(None)
        elif not NAME_PATTERN.match(name):
            self.query_one("#rename-problem", Static).update(
                "A name is two or more of a-z A-Z 0-9 _ . - (starting with a letter or digit)."
            )
        else:
            self.dismiss(name)

    def action_cancel(self) -> None:
        """Answer None: keep the name."""
        self.dismiss(None)
