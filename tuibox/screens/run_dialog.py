"""Provides RunDialog: asks how to run an image (name, -p entries, network, command)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tuibox.client.run_options import (
    RunOptionError,
    RunOptions,
    parse_command,
    parse_publish_list,
)
from tuibox.screens.name_prompt import NAME_PATTERN

FIELDS = (
    ("run-name", "Name", "empty: a random name"),
    ("run-ports", "Publish (-p)", "e.g. 8080:80, 127.0.0.1:5353:53/udp"),
    ("run-network", "Network", "empty: the default bridge"),
    ("run-command", "Command", "empty: the image's own"),
)
"""Each input's ID, label and placeholder, in the order Tab walks them."""


class FieldProblem(Exception):
    """What is wrong with one input of the dialog."""

    def __init__(self, field_id: str, message: str) -> None:
        super().__init__(message)
        self.field_id = field_id
        self.message = message


class RunDialog(ModalScreen[RunOptions | None]):
    """One input per option; Enter in any answers the options once all of them parse (all
    empty: run with the image's defaults), Esc answers None."""

    DEFAULT_CSS = """
    RunDialog { align: center middle; }
    RunDialog .run-field { height: 1; margin-bottom: 1; }
    RunDialog .run-label { width: 14; }
    RunDialog .run-field Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    """
    """Centred like NamePrompt (the app's stylesheet styles #name-dialog); one line per input
    so the dialog fits 80x24."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without running."""

    def __init__(self, reference: str) -> None:
        super().__init__()
        self.reference = reference

    def compose(self) -> ComposeResult:
        """The title, a labelled input per option, and a line for what is wrong."""
        with Vertical(id="name-dialog"):
            yield Static(f"Run {self.reference}", id="name-title", markup=False)
            for field_id, label, placeholder in FIELDS:
                with Horizontal(classes="run-field"):
                    yield Label(label, classes="run-label", markup=False)
                    yield Input(placeholder=placeholder, id=field_id, select_on_focus=False)
            yield Static("Enter runs it detached; Tab: next field; Esc: cancel.",
                         id="prompt-help", markup=False)  # fmt: skip
            yield Static("", id="name-problem", markup=False)

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def _options(self) -> RunOptions:
        """The options typed so far; raises FieldProblem naming the first input that is wrong."""
        name = self._value("run-name")
        if name and not NAME_PATTERN.match(name):
            raise FieldProblem(
                "run-name", f'Invalid container name "{name}": two or more of a-z A-Z 0-9 _ . - '
                "(starting with a letter or digit).",
            )  # fmt: skip
        try:
            ports = parse_publish_list(self._value("run-ports"))
        except RunOptionError as err:
            raise FieldProblem("run-ports", f"-p: {err}") from None
        network = self._value("run-network")
        if any(char.isspace() for char in network):
            raise FieldProblem("run-network", f"Invalid network name {network!r}.")
        try:
            command = parse_command(self._value("run-command"))
        except RunOptionError as err:
            raise FieldProblem("run-command", str(err)) from None
        return RunOptions(name.lstrip("/"), ports, network, command)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the options, or say what is wrong and focus that field."""
        event.stop()
        try:
            options = self._options()
        except FieldProblem as problem:
            self.query_one("#name-problem", Static).update(problem.message)
            self.query_one(f"#{problem.field_id}", Input).focus()
            return
        self.dismiss(options)

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
