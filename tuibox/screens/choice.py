"""Provides ChoiceModal: pick one of a few options (the shell `x` opens, for one)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ChoiceModal(ModalScreen[str | None]):
    """A titled list; Enter answers the highlighted option's id, Esc answers None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without a choice."""

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        """The title and the options."""
        with Vertical(id="choice-dialog"):
            yield Static(self.title_text, id="choice-title", markup=False)
            yield OptionList(*(Option(label, id=key) for key, label in self.options),
                             id="choice-list")  # fmt: skip

    def on_mount(self) -> None:
        """Focus the list on its first option."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer with the chosen option's id."""
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
