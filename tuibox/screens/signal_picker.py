"""Provides SignalPicker: the signal `K` sends to a container, KILL first as in docker kill."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

SIGNALS: tuple[tuple[str, str], ...] = (
    ("KILL", "end at once, no cleanup"),
    ("TERM", "ask to end (what stop sends first)"),
    ("INT", "interrupt, as Ctrl+C"),
    ("HUP", "hang up: many daemons reload their config"),
    ("QUIT", "quit, often with a core dump"),
    ("USR1", "user-defined 1"),
    ("USR2", "user-defined 2"),
    ("STOP", "suspend the process (CONT resumes it)"),
    ("CONT", "resume a stopped process"),
)
"""The signals offered, with what each usually means."""


class SignalPicker(ModalScreen[str | None]):
    """A list of signals; Enter sends the highlighted one, Esc sends none."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without a signal."""

    def __init__(self, container_name: str) -> None:
        super().__init__()
        self.container_name = container_name

    def compose(self) -> ComposeResult:
        """The title and the signals."""
        with Vertical(id="signal-dialog"):
            yield Static(f"Send a signal to {self.container_name}", id="signal-title",
                         markup=False)  # fmt: skip
            yield OptionList(
                *(Option(f"{name:<5} {meaning}", id=name) for name, meaning in SIGNALS),
                id="signal-list",
            )

    def on_mount(self) -> None:
        """Focus the list on KILL."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer with the chosen signal's name."""
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Answer None: send nothing."""
        self.dismiss(None)
