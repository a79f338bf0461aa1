"""Provides OverviewScreen: every running container by CPU or memory, with ctop-style bars."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.stats_models import StatsBatch, StatsSample
from tuibox.messages import EngineReached, PollFailed, WorkerCrashed
from tuibox.stats_feed import StatsFeed
from tuibox.widgets.container_table import NO_FIGURES, CellRepaintTable
from tuibox.widgets.format import binary_size
from tuibox.widgets.trend import bar
from tuibox.widgets.visibility import is_shown

SortKey = Literal["cpu", "memory"]
SORT_NAMES: dict[SortKey, str] = {"cpu": "CPU", "memory": "memory"}
BAR_WIDTH = 12
"""Cells per bar: both bars and the figures fit in 80 columns."""


@dataclass(frozen=True)
class OverviewRow:
    """One running container and its newest sample (None until the feed has one)."""

    container: ContainerSummary
    sample: StatsSample | None


def sort_rows(rows: Sequence[OverviewRow], key: SortKey) -> list[OverviewRow]:
    """Busiest first by `key`, then by name; containers without figures last."""

    def order(row: OverviewRow) -> tuple[bool, float, str]:
        sample = row.sample
        if sample is None:
            return (True, 0.0, row.container.name)
        value = sample.cpu_percent if key == "cpu" else float(sample.memory_used)
        return (False, -value, row.container.name)

    return sorted(rows, key=order)


class OverviewTable(CellRepaintTable[OverviewRow]):
    """The overview's rows: figures and one bar each for CPU and memory.

    The CPU bar is full at every core busy (100 % x cores), the memory bar at the
    container's limit. Each bar is one run of block characters in one colour.
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("name", "NAME"),
        ("cpu", "CPU %"),
        ("cpu_bar", "CPU"),
        ("memory", "MEM USAGE / LIMIT"),
        ("memory_percent", "MEM %"),
        ("memory_bar", "MEM"),
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {"overviewtable--cpu", "overviewtable--memory"}

    def show(self, rows: Sequence[OverviewRow], cores: int) -> None:
        """Display `rows` in the order given; `cores` scales the CPU bars."""
        self.sync([(row.container.id, row, self._cells_for(row, cores)) for row in rows])

    def _cells_for(self, row: OverviewRow, cores: int) -> tuple[Text, ...]:
        sample = row.sample
        name = Text(row.container.name)
        if sample is None:
            blank = Text(NO_FIGURES)
            return (name, blank, Text(" " * BAR_WIDTH), blank, blank, Text(" " * BAR_WIDTH))
        cpu_style = self.get_component_rich_style("overviewtable--cpu", partial=True)
        memory_style = self.get_component_rich_style("overviewtable--memory", partial=True)
        cpu_fraction = sample.cpu_percent / (100.0 * max(1, cores))
        memory_fraction = sample.memory_percent / 100.0
        limit = binary_size(sample.memory_limit) if sample.memory_limit else "-"
        return (
            name,
            Text(f"{sample.cpu_percent:.1f}%", justify="right"),
            Text(bar(cpu_fraction, BAR_WIDTH), style=cpu_style),
            Text(f"{binary_size(sample.memory_used)} / {limit}", justify="right"),
            Text(f"{sample.memory_percent:.1f}%", justify="right"),
            Text(bar(memory_fraction, BAR_WIDTH), style=memory_style),
        )


class OverviewScreen(Screen[None]):
    """Every running container, sorted by CPU or memory, updated with each stats batch.

    The containers come from polling the engine's list (so engines without a batched
    stream are told to follow all of them), the figures from the app's StatsFeed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "sort('cpu')", "Sort by CPU"),
        Binding("m", "sort('memory')", "Sort by memory"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    """Sort keys; Esc returns to the lists."""

    def __init__(
        self,
        client: EngineClientProtocol,
        feed: StatsFeed,
        *,
        clock: Callable[[], float],
        poll_interval: float,
    ) -> None:
        """Build the screen.

        Args:
            client: How the screen lists the running containers.
            feed: The app's stats feed.
            clock: The current Unix time (kept for the same interface as the panes).
            poll_interval: Seconds between two polls of the container list.
        """
        super().__init__()
        self.client = client
        self.feed = feed
        self.clock = clock
        self.poll_interval = poll_interval
        self.sort_key: SortKey = "cpu"
        self._listed: list[ContainerSummary] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._poll: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        """Title, the table, the key footer."""
        yield Static(self.heading, id="overview-title", markup=False)
        yield OverviewTable(id="overview-table")
        yield Footer()

    @property
    def heading(self) -> str:
        """The title line: how many are running, the sort order, the keys."""
        count = len(self._listed)
        return (
            f" Overview · {count} running · by {SORT_NAMES[self.sort_key]}"
            " · c CPU  m memory  Esc back"
        )

    @property
    def table(self) -> OverviewTable:
        """The rows."""
        return self.query_one(OverviewTable)

    def on_mount(self) -> None:
        """List the running containers now and then, and follow the feed."""
        self._unsubscribe = self.feed.subscribe(self._on_batch)
        self.table.focus()
        self.poll_tick()
        self.set_interval(self.poll_interval, self.poll_tick)

    def on_unmount(self) -> None:
        """Stop following the feed."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def poll_tick(self) -> None:
        """Poll the list, unless the last poll still waits for the engine (never cancelled)."""
        if self._poll is None or self._poll.is_finished:
            self._poll = self.run_worker(
                self.poll_containers(), group="overview-poll", exit_on_error=False
            )

    async def poll_containers(self) -> None:
        """Fetch the running containers and show them with their figures."""
        try:
            containers = await self.client.list_containers(all=False)
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        running = [c for c in containers if c.is_running]
        recount = len(running) != len(self._listed)
        self._listed = running
        if recount:
            self.query_one("#overview-title", Static).update(self.heading)
        if is_shown(self):
            self.feed.watch({c.id for c in running})
        self._show()

    def _on_batch(self, batch: StatsBatch) -> None:
        self._show()

    def _show(self) -> None:
        rows = [OverviewRow(c, self.feed.latest(c.id)) for c in self._listed]
        cores = self.feed.host.cpus if self.feed.host is not None else 1
        self.table.show(sort_rows(rows, self.sort_key), cores)

    def action_sort(self, key: SortKey) -> None:
        """Sort by CPU (c) or memory (m), busiest first; the selection stays on its container."""
        self.sort_key = key
        self.query_one("#overview-title", Static).update(self.heading)
        self._show()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Post a failed worker up to the app (Textual's worker messages do not bubble)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))
