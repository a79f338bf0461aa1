"""Provides the container screen's Processes, Env and Mounts tabs: a note line over a table."""

from __future__ import annotations

from collections.abc import Sequence

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuibox.client.details import EnvVar, MountPoint, ProcessList
from tuibox.client.errors import ConflictError, EngineError
from tuibox.client.models import ContainerSummary
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import PollFailed
from tuibox.widgets.detail_tables import EnvTable, MountTable
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
