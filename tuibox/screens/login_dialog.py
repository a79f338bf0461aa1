"""Provides LoginDialog: `docker login` through the engine (server, username, masked password)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tuibox.client.errors import EngineError
from tuibox.client.protocol import EngineClientProtocol


class LoginDialog(ModalScreen[str | None]):
    """Asks the engine to log into a registry (POST /auth), and answers its status ("Login
    Succeeded") once it did; a refusal is shown in the dialog and the password cleared for
    another try; Esc answers None.

    The password lives only in its masked input and in the one call: it is read when Enter
    is pressed, cleared from the input right away, never logged and never kept.
    """

    DEFAULT_CSS = """
    LoginDialog { align: center middle; }
    LoginDialog .login-field { height: 1; margin-bottom: 1; }
    LoginDialog .login-label { width: 12; }
    LoginDialog .login-field Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    """
    """One line per input, as RunDialog."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without logging in."""

    def __init__(self, client: EngineClientProtocol, server: str, username: str = "") -> None:
        super().__init__()
        self.client = client
        self.server = server
        self.username = username

    def compose(self) -> ComposeResult:
        """The title, three inputs and a line for what went wrong."""
        with Vertical(id="name-dialog"):
            yield Static("Log in to a registry", id="name-title", markup=False)
            for field_id, label, value, secret in (
                ("login-server", "Registry", self.server, False),
                ("login-username", "Username", self.username, False),
                ("login-password", "Password", "", True),
            ):
                with Horizontal(classes="login-field"):
                    yield Label(label, classes="login-label")
                    yield Input(value, id=field_id, password=secret, select_on_focus=False)
            yield Static("Enter logs in (the engine keeps the credentials, readable by root "
                         "only); Esc: cancel.", id="prompt-help", markup=False)  # fmt: skip
            yield Static("", id="name-problem", markup=False)

    def on_mount(self) -> None:
        """Start where something is missing: the username, else the password."""
        field = "#login-password" if self.username else "#login-username"
        self.query_one(field, Input).focus()

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Log in with what was typed, or say what is missing."""
        event.stop()
        server, username = self._value("login-server"), self._value("login-username")
        password_input = self.query_one("#login-password", Input)
        missing = next((name for name, value in (("Registry", server), ("Username", username),
                        ("Password", password_input.value)) if not value), None)  # fmt: skip
        if missing:
            self.query_one("#name-problem", Static).update(f"{missing}: required.")
            return
        password, password_input.value = password_input.value, ""
        self.query_one("#name-problem", Static).update("Logging in…")
        self._log_in(server, username, password)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _log_in(self, server: str, username: str, password: str) -> None:
        try:
            status = await self.client.login(server, username, password)
        except EngineError as err:
            self.query_one("#name-problem", Static).update(err.message)
            self.query_one("#login-password", Input).focus()
            return
        self.dismiss(status)

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
