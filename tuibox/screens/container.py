"""Provides ContainerScreen: one container's graphs, logs, inspect and detail tabs, in tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tuibox.client.details import ContainerDetails
from tuibox.client.errors import EngineError, NotFoundError
from tuibox.client.models import ContainerSummary
from tuibox.client.networks import ContainerNetworking
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.stats_models import StatsBatch, StatsSample
from tuibox.messages import PollFailed, WorkerCrashed
from tuibox.screens.container_details import EnvPane, MountsPane, NetworkPane, ProcessesPane
from tuibox.screens.container_logs import LogsPane
from tuibox.screens.tab_cycling import TabCycling
from tuibox.stats_feed import StatsFeed
from tuibox.widgets.braille_chart import DOTS_ACROSS, BrailleChart
from tuibox.widgets.format import short_id
from tuibox.widgets.health_view import HealthView
from tuibox.widgets.inspect_tree import InspectTree
from tuibox.widgets.log_view import LogView
from tuibox.widgets.resource_graph import (
    NO_VALUE,
    ContainerSeries,
    Figures,
    ResourceGraph,
    binary_size,
    byte_rate,
    count_axis,
    percent_axis,
)
from tuibox.widgets.search_bar import Searching
from tuibox.widgets.visibility import is_shown

TAB_IDS = ("stats", "logs", "inspect", "processes", "env", "mounts", "health", "network")
"""The tabs in order (Tab and Shift+Tab cycle through them; 1 to 8 show one)."""
LIVE_TABS = ("processes", "health")
"""Tabs refreshed every REFRESH_SECONDS while shown."""
INSPECT_TABS = ("inspect", "env", "mounts", "health", "network")
"""Tabs drawn from docker inspect, fetched each time one is shown."""
REFRESH_SECONDS = 2.0
HISTORY_SECONDS = 900.0
"""How far back the graphs start: all that tuibox's engine keeps."""


class ContainerScreen(TabCycling):
    """One container: Stats (five live graphs) and Logs (following), Esc back.

    Lifecycle: on mount it subscribes to the feed and fetches the container's kept history
    (`stats_history`, 15 minutes on tuibox's engine; none elsewhere), so the graphs open
    full; from then on, with each batch the feed reports, the container's newer samples in
    `feed.recent` are appended. While shown it asks the feed to watch this container
    (engines without the batched stream then follow it alone); on unmount it unsubscribes.
    Logs are followed from the first time their tab is shown. From second to second only
    the graphs' rows whose dots moved and the current values that changed are redrawn.
    """

    TAB_IDS = TAB_IDS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("tab", "next_tab", "Next tab", priority=True, show=False),
        Binding("shift+tab", "previous_tab", "Previous tab", priority=True, show=False),
        Binding("1", "show_tab('stats')", "Stats tab", show=False),
        Binding("2", "show_tab('logs')", "Logs tab", show=False),
        Binding("3", "show_tab('inspect')", "Inspect tab", show=False),
        Binding("4", "show_tab('processes')", "Processes tab", show=False),
        Binding("5", "show_tab('env')", "Env tab", show=False),
        Binding("6", "show_tab('mounts')", "Mounts tab", show=False),
        Binding("7", "show_tab('health')", "Health tab", show=False),
        Binding("8", "show_tab('network')", "Network tab", show=False),
        Binding("c", "clear_log", "Clear log"),
    ]
    """Esc back; Tab, Shift+Tab and 1 to 8 switch tabs; c clears the log (Logs tab)."""


    class SamplesArrived(Message):
        """The feed has new figures; handled on the screen's own queue, coalesced."""

        def can_replace(self, message: Message) -> bool:
            """A waiting one says all that a newer one would."""
            return isinstance(message, ContainerScreen.SamplesArrived)

    def __init__(
        self,
        client: EngineClientProtocol,
        feed: StatsFeed,
        container: ContainerSummary,
        *,
        clock: Callable[[], float],
        initial_tab: str = "stats",
        cpu_limit: float | None = None,
    ) -> None:
        """Build the screen.

        Args:
            client: How the screen reaches the engine (history, logs).
            feed: The app's figures, shared with the other screens.
            container: The container shown.
            clock: The current Unix time (tests freeze it).
            initial_tab: The tab shown first, "stats" or "logs".
            cpu_limit: The cores the container may use, when known; else the CPU graph
                tops at the host's cores x 100 %.

        Raises:
            ValueError: `initial_tab` names no tab.
        """
        super().__init__(initial_tab)
        self.client = client
        self.feed = feed
        self.container = container
        self.clock = clock
        self.cpu_limit = cpu_limit
        self.series = ContainerSeries()
        self.history_loaded = False
        """Whether the history call has answered (until then live samples wait in the feed)."""
        self.history_samples = 0
        """How many samples the history gave (0: this engine keeps none, the graphs fill live)."""
        self._unsubscribe: Callable[[], None] | None = None
        self._refresh_timer: Timer | None = None
        self.refreshing_live = False
        """Whether the shown tab is refreshed every REFRESH_SECONDS (Processes, Health)."""

    def compose(self) -> ComposeResult:
        """Title line, the tabs, the key footer."""
        yield Static("", id="container-title", markup=False)
        with TabbedContent(initial=self.initial_tab, id="container-tabs"):
            with TabPane("1 Stats", id="stats"), Vertical(id="container-stats"):
                yield from self._graphs()
            with TabPane("2 Logs", id="logs"):
                yield LogsPane(LogView(self.client, self.container, id="container-log"),
                               clock=self.clock)  # fmt: skip
            with TabPane("3 Inspect", id="inspect"):
                yield Searching(InspectTree(id="container-inspect"))
            with TabPane("4 Processes", id="processes"):
                yield ProcessesPane(self.client, self.container, refresh_seconds=REFRESH_SECONDS)
            with TabPane("5 Env", id="env"):
                yield EnvPane()
            with TabPane("6 Mounts", id="mounts"):
                yield MountsPane()
            with TabPane("7 Health", id="health"):
                yield HealthView(id="container-health")
            with TabPane("8 Network", id="network"):
                yield NetworkPane()
        yield Footer()

    def _graphs(self) -> list[ResourceGraph]:
        series = self.series
        return [
            ResourceGraph("CPU", [("", series.cpu)], axis_label=percent_axis, floor=100.0,
                          id="graph-cpu"),
            ResourceGraph("Memory", [("", series.memory)], axis_label=binary_size,
                          floor=1024.0**2, id="graph-memory"),
            ResourceGraph("Network", [("rx", series.net_rx), ("tx", series.net_tx)],
                          axis_label=byte_rate, floor=1000.0, id="graph-network"),
            ResourceGraph("Block I/O", [("read", series.blk_read), ("write", series.blk_write)],
                          axis_label=byte_rate, floor=1000.0, id="graph-block"),
            ResourceGraph("PIDs", [("", series.pids)], axis_label=count_axis, floor=10.0,
                          id="graph-pids"),
        ]  # fmt: skip

    def on_mount(self) -> None:
        """Subscribe to the feed, fetch the history, follow the logs if they show first."""
        self._unsubscribe = self.feed.subscribe(self._on_batch)
        self.load_history()
        self._refresh_timer = self.set_interval(REFRESH_SECONDS, self._refresh_tick, pause=True)
        self._load_tab(self.initial_tab)
        self._update_title()

    def on_screen_resume(self) -> None:
        """Have the feed follow this container while it is shown."""
        self.feed.watch({self.container.id})

    def on_unmount(self) -> None:
        """Stop hearing from the feed."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


    @property
    def log_view(self) -> LogView:
        """The Logs tab's log."""
        return self.query_one("#container-log", LogView)

    def graph(self, graph_id: str) -> ResourceGraph:
        """One of the five graphs: cpu, memory, network, block or pids."""
        return self.query_one(f"#graph-{graph_id}", ResourceGraph)

    @work(exclusive=True, group="container-history", exit_on_error=False)
    async def load_history(self) -> None:
        """Fill the graphs with the engine's kept samples, then with the feed's newer ones."""
        history: list[StatsSample] = []
        try:
            if self.cpu_limit is None:
                self.cpu_limit = await self.client.cpu_limit(self.container.id)
            since = self.clock() - HISTORY_SECONDS
            history = await self.client.stats_history(self.container.id, since)
        except NotFoundError:
            pass  # another engine: no history endpoint, the graphs fill live
        except EngineError as err:
            self.post_message(PollFailed(err))
        self.history_samples = self.series.extend(history)
        self.history_loaded = True
        self.series.extend(self.feed.recent.get(self.container.id, ()))
        self._draw()
        self._update_title()

    def _on_batch(self, batch: StatsBatch) -> None:
        # Called inside the feed's loop: only queue a message, so nothing here can stop it.
        self.post_message(self.SamplesArrived())

    @on(SamplesArrived)
    def _on_samples_arrived(self) -> None:
        if self.history_loaded and self.series.extend(self.feed.recent.get(self.container.id, ())):
            self._draw()

    def _draw(self) -> None:
        """Hand the new figures to the graphs (which redraw from the series)."""
        self.graph("cpu").show(self._cpu_figures())
        self.graph("memory").show(self._memory_figures())
        series = self.series
        for graph_id, first, second in (("network", series.net_rx, series.net_tx),
                                        ("block", series.blk_read, series.blk_write)):  # fmt: skip
            values = tuple(NO_VALUE if v is None else byte_rate(v)
                           for v in (first.latest, second.latest))  # fmt: skip
            self.graph(graph_id).show(Figures(values))
        self.graph("pids").show(self._pids_figures())

    def _cpu_figures(self) -> Figures:
        last = self.series.last
        value = NO_VALUE if last is None else f"{last.cpu_percent:.1f}%"
        host = self.feed.host
        if self.cpu_limit:
            cores, detail = self.cpu_limit, f"limit {_cores(self.cpu_limit)}"
        elif host is not None and self.feed.batched is not False:
            cores, detail = float(host.cpus), f"of {_cores(host.cpus)}"
        else:
            return Figures((value,))  # another engine's host is unknown: fit the values
        return Figures((value,), detail, cores * 100.0)

    def _memory_figures(self) -> Figures:
        last = self.series.last
        if last is None:
            return Figures((NO_VALUE,))
        if not last.memory_limit:
            return Figures((binary_size(last.memory_used),))
        used = f"{binary_size(last.memory_used)} / {binary_size(last.memory_limit)}"
        return Figures((used,), f"{last.memory_percent:.1f}%", float(last.memory_limit))

    def _pids_figures(self) -> Figures:
        last = self.series.last
        if last is None:
            return Figures((NO_VALUE,))
        if not last.pids_limit:
            return Figures((str(last.pids),), "no limit")
        return Figures((str(last.pids),), f"limit {last.pids_limit}", float(last.pids_limit))

    def _update_title(self) -> None:
        container = self.container
        parts = [f" {container.name} ({container.image})", short_id(container.id),
                 container.state]  # fmt: skip
        if self.active_tab == "logs":
            parts.extend(("following", self.log_view.status))
        elif self.active_tab == "stats":
            width = self.query(BrailleChart).first(BrailleChart).size.width
            if width:
                parts.append(f"graphs: last {_span(width * DOTS_ACROSS)}")
            if self.history_loaded and not self.history_samples:
                parts.append("no history from this engine: filling live")
        title = self.query_one("#container-title", Static)
        text = " · ".join(parts)
        if str(title.content) != text:
            title.update(text, layout=False)

    def on_resize(self) -> None:
        """Say how much time the graphs span at the new width (once laid out)."""
        self.call_after_refresh(self._update_title)

    @on(TabbedContent.TabActivated)
    def _on_tab_activated(self) -> None:
        self._load_tab(self.active_tab)
        self.refresh_bindings()
        self.call_after_refresh(self._update_title)

    def _load_tab(self, tab_id: str) -> None:
        """Fetch what `tab_id` shows, focus its widget, and refresh it while shown if live."""
        focus = {"logs": "#container-log", "inspect": "#container-inspect",
                 "processes": "#container-processes", "env": "#container-env",
                 "mounts": "#container-mounts", "network": "#container-endpoints",
                 }.get(tab_id)  # fmt: skip
        if focus is not None:
            self.query_one(focus).focus()
        if tab_id == "logs":
            self.log_view.follow()
        elif tab_id == "processes":
            self.query_one(ProcessesPane).load()
        elif tab_id in INSPECT_TABS:
            self.load_inspect()
        self.refreshing_live = tab_id in LIVE_TABS
        if self._refresh_timer is not None:
            if tab_id in LIVE_TABS:
                self._refresh_timer.resume()
            else:
                self._refresh_timer.pause()

    def _refresh_tick(self) -> None:
        """Refresh the live tab shown (not while another screen covers this one)."""
        if is_shown(self) and self.active_tab in LIVE_TABS:
            self._load_tab(self.active_tab)

    @work(exclusive=True, group="container-inspect", exit_on_error=False)
    async def load_inspect(self) -> None:
        """Fetch `docker inspect` of the container each time an inspect tab is shown."""
        try:
            document = await self.client.inspect_container(self.container.id)
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        if self.active_tab == "inspect":  # elsewhere a refresh would fold the tree back
            self.query_one(InspectTree).show_document(document)
        details = ContainerDetails.from_inspect(document)
        self.query_one(EnvPane).show(details.env)
        self.query_one(MountsPane).show(details.mounts)
        self.query_one(HealthView).show(details.health)
        self.query_one(NetworkPane).show(ContainerNetworking.from_inspect(document))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Clear the log only where it is shown."""
        if action == "clear_log":
            return self.active_tab == "logs"
        return True

    def action_clear_log(self) -> None:
        """Clear the log and drop what waits to be shown (the stream keeps following)."""
        self.log_view.clear()

    @on(LogView.StatusChanged)
    def _on_log_status(self) -> None:
        self._update_title()

    @on(Worker.StateChanged)
    def _forward_worker_failure(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))


def _cores(count: float) -> str:
    return f"{count:g} core" + ("" if count == 1 else "s")


def _span(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"
