"""Provides ConnectDialog: the aliases and fixed address of `docker network connect`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


@dataclass(frozen=True)
class ConnectOptions:
    """`--alias` (each) and `--ip` of a connect."""

    aliases: tuple[str, ...] = ()
    ipv4: str = ""


def ipv4_problem(text: str, subnet: str) -> str | None:
    """What is wrong with a --ip for a network of `subnet` ("" unknown); None when it will do."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"invalid IPv4 address: {text}"
    if address.version != 4:
        return f"--ip takes an IPv4 address; {text} is IPv6 (--ip6 is not offered here)"
    if subnet and address not in ipaddress.ip_network(subnet, strict=False):
        return f"{text} is not in the network's subnet {subnet}"
    return None


class ConnectDialog(ModalScreen[ConnectOptions | None]):
    """Aliases (comma or space separated) and an IPv4 address, both optional; Enter answers
    once they are valid, Esc answers None."""

    DEFAULT_CSS = """
    ConnectDialog { align: center middle; }
    ConnectDialog .connect-field { height: 1; margin-bottom: 1; }
    ConnectDialog .connect-label { width: 14; }
    ConnectDialog .connect-field Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    """
    """One line per input, as RunDialog."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    """Esc closes without connecting."""

    def __init__(self, container: str, network: str, subnet: str) -> None:
        super().__init__()
        self.container = container
        self.network = network
        self.subnet = subnet

    def compose(self) -> ComposeResult:
        """The title, the two inputs and a line for what is wrong."""
        with Vertical(id="name-dialog"):
            yield Static(f"Connect {self.container} to {self.network}", id="name-title",
                         markup=False)  # fmt: skip
            with Horizontal(classes="connect-field"):
                yield Label("Aliases", classes="connect-label")
                yield Input(placeholder="empty: none; e.g. db, cache", id="connect-aliases")
            with Horizontal(classes="connect-field"):
                yield Label("IPv4 (--ip)", classes="connect-label")
                placeholder = f"empty: the next free one in {self.subnet or 'the subnet'}"
                yield Input(placeholder=placeholder, id="connect-ip")
            yield Static("Enter connects; Tab: next field; Esc: cancel.", id="prompt-help",
                         markup=False)  # fmt: skip
            yield Static("", id="name-problem", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the options, or say what is wrong."""
        event.stop()
        aliases = tuple(dict.fromkeys(
            self.query_one("#connect-aliases", Input).value.replace(",", " ").split()))
        address = self.query_one("#connect-ip", Input).value.strip()
        problem = ipv4_problem(address, self.subnet) if address else None
        if problem:
            self.query_one("#name-problem", Static).update(problem)
            self.query_one("#connect-ip", Input).focus()
            return
        self.dismiss(ConnectOptions(aliases, address))

    def action_cancel(self) -> None:
        """Answer None."""
        self.dismiss(None)
