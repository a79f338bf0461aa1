"""Provides the container screen's Processes, Env, Mounts and Network tabs: notes over tables."""

from __future__ import annotations

from collections.abc import Sequence

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuibox.client.details import EnvVar, MountPoint, ProcessList
from tuibox.client.errors import ConflictError, EngineError
from tuibox.client.models import ContainerSummary
from tuibox.client.networks import ContainerNetworking
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import PollFailed
from tuibox.widgets.detail_tables import EndpointTable, EnvTable, MountTable, PortBindingTable
from tuibox.widgets.process_table import ProcessTable

DEFAULT_CSS = """
{pane} {{ height: 1fr; }}
{pane} > .detail-note {{ height: auto; padding: 0 1; color: $text-muted; }}
{pane} > DataTable {{ height: 1fr; }}
"""


def _plural(count: int, word: str, plural: str = "s") -> str:
    return f"{count} {word}{'' if count == 1 else plural}"


class ProcessesPane(Vertical):
    """`docker top` of the container, fetched by `load()` (the screen calls it every 2 s)."""

    DEFAULT_CSS = DEFAULT_CSS.format(pane="ProcessesPane")

    def __init__(self, client: EngineClientProtocol, container: ContainerSummary,
                 *, refresh_seconds: float) -> None:  # fmt: skip
        super().__init__()
        self.client = client
        self.container = container
        self.refresh_seconds = refresh_seconds

    def compose(self) -> ComposeResult:
        """The note and the table."""
        yield Static("", id="processes-note", classes="detail-note", markup=False)
        yield ProcessTable(id="container-processes")

    @work(exclusive=True, group="container-top", exit_on_error=False)
    async def load(self) -> None:
        """Fetch `docker top` of the container (ps -ef of the processes in its cgroup)."""
        table = self.query_one(ProcessTable)
        note = self.query_one("#processes-note", Static)
        try:
            processes = await self.client.top(self.container.id)
        except ConflictError:
            table.show(ProcessList(table.titles, ()))
            note.update(f"{self.container.name} is not running: no processes.")
            return
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        table.show(processes)
        note.update(f"{_plural(len(processes.processes), 'process', 'es')} (docker top), "
                    f"refreshed every {self.refresh_seconds:g} s")  # fmt: skip


class EnvPane(Vertical):
    """Config.Env, secret-looking values masked."""

    DEFAULT_CSS = DEFAULT_CSS.format(pane="EnvPane")

    def compose(self) -> ComposeResult:
        """The note and the table."""
        yield Static("", id="env-note", classes="detail-note", markup=False)
        yield EnvTable(id="container-env")

    def show(self, env: Sequence[EnvVar]) -> None:
        """Display the container's environment."""
        self.query_one(EnvTable).show(env)
        self.query_one("#env-note", Static).update(
            f"{_plural(len(env), 'variable')} · secret-looking values are masked: "
            "v reveals the selected one"
        )


class MountsPane(Vertical):
    """Inspect's Mounts."""

    DEFAULT_CSS = DEFAULT_CSS.format(pane="MountsPane")

    def compose(self) -> ComposeResult:
        """The note and the table."""
        yield Static("", id="mounts-note", classes="detail-note", markup=False)
        yield MountTable(id="container-mounts")

    def show(self, mounts: Sequence[MountPoint]) -> None:
        """Display the container's mounts."""
        self.query_one(MountTable).show(mounts)
        self.query_one("#mounts-note", Static).update(
            _plural(len(mounts), "mount") if mounts
            else "No mounts: the container writes only to its own layer."
        )  # fmt: skip


MODE_NOTES = {
    "none": "Network mode none: only a loopback interface, no network.",
    "host": "Network mode host: the host's own interfaces and ports, no address of its own.",
}


def _mode_note(networking: ContainerNetworking) -> str:
    mode = networking.mode
    if mode in MODE_NOTES:
        return MODE_NOTES[mode]
    if mode.startswith("container:"):
        return f"Network mode {mode}: it shares that container's interfaces and addresses."
    count = len(networking.endpoints)
    return (f"{_plural(count, 'network')}" + (f" · mode {mode}" if mode else "")
            + " · no address until it runs" * (count > 0 and not any(
                e.ip_address for e in networking.endpoints)))  # fmt: skip


class NetworkPane(Vertical):
    """Inspect's NetworkSettings: the networks with addresses, then the published ports."""

    DEFAULT_CSS = DEFAULT_CSS.format(pane="NetworkPane") + """
NetworkPane > #container-endpoints { height: auto; max-height: 50%; }
NetworkPane > #container-ports { height: 1fr; }
NetworkPane > #ports-note { margin-top: 1; }
"""

    def compose(self) -> ComposeResult:
        """The notes and the two tables."""
        yield Static("", id="network-note", classes="detail-note", markup=False)
        yield EndpointTable(id="container-endpoints")
        yield Static("", id="ports-note", classes="detail-note", markup=False)
        ports = PortBindingTable(id="container-ports")
        # One focusable widget per tab: when a tab is left, Textual hands the focus of a
        # hidden table to the next one in the chain, and a second table in this pane would
        # take it and make TabbedContent show this tab again.
        ports.can_focus = False
        yield ports

    def show(self, networking: ContainerNetworking) -> None:
        """Display the container's networks and ports."""
        self.query_one(EndpointTable).show(networking.endpoints)
        self.query_one(PortBindingTable).show(networking.ports)
        self.query_one("#network-note", Static).update(_mode_note(networking))
        published = sum(1 for b in networking.ports if b.host_port)
        self.query_one("#ports-note", Static).update(
            f"Ports: {_plural(published, 'host binding')}" if networking.ports
            else "Ports: none exposed or published."
        )  # fmt: skip
