"""Provides PullPrompt: asks which image to pull (a reference) and, optionally, its platform."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tuibox.client.references import reference_problem

PLATFORM = re.compile(r"^[a-z0-9_-]+/[a-z0-9_-]+(?:/[a-z0-9_.-]+)?$")
"""os/arch[/variant], as `docker pull --platform` takes it."""


def platform_problem(text: str) -> str | None:
    """What is wrong with a --platform value; None when it will do."""
    if PLATFORM.match(text):
        return None
    return f'"{text}": unknown operating system or architecture: expected os/arch[/variant]'


class PullPrompt(ModalScreen[tuple[str, str | None] | None]):
    """A reference and an optional platform; Enter answers (reference, platform or None)
    once both are valid, Esc answers None."""

    DEFAULT_CSS = """
    PullPrompt { align: center middle; }
    PullPrompt .pull-field { height: 1; margin-bottom: 1; }
    PullPrompt .pull-label { width: 12; }
    PullPrompt .pull-field Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    """
    """One line per input, as RunDialog."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without pulling."""

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        """The title, the two inputs and a line for what is wrong."""
        with Vertical(id="name-dialog"):
            yield Static("Pull an image", id="name-title", markup=False)
            with Horizontal(classes="pull-field"):
                yield Label("Image", classes="pull-label")
                yield Input(self.initial, placeholder="e.g. busybox:1.36, localhost:5000/app",
                            id="pull-reference")  # fmt: skip
            with Horizontal(classes="pull-field"):
                yield Label("Platform", classes="pull-label")
                yield Input(placeholder="empty: the engine's own; e.g. linux/arm64",
                            id="pull-platform")  # fmt: skip
            yield Static("Enter pulls; Tab: next field; Esc: cancel.", id="prompt-help",
                         markup=False)  # fmt: skip
            yield Static("", id="name-problem", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer, or say what is wrong and focus that input."""
        event.stop()
        reference = self.query_one("#pull-reference", Input).value.strip()
        platform = self.query_one("#pull-platform", Input).value.strip()
        problem, field = None, "#pull-reference"
        if not reference:
            problem = "Name an image, or Esc to cancel."
        else:
            problem = reference_problem(reference)
        if problem is None and platform:
            problem, field = platform_problem(platform), "#pull-platform"
        if problem:
            self.query_one("#name-problem", Static).update(problem)
            self.query_one(field, Input).focus()
            return
        self.dismiss((reference, platform or None))

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
