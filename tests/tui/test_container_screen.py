"""Pilot tests: the container screen's live graphs (history, feed batches) and its Logs tab."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.style import Style
from rich.text import Span, Text
from textual.widgets import Static

from tests.conftest import FROZEN_NOW, RUNNING_ID, scripted_host, scripted_sample
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import EngineUnavailableError, NotFoundError
from tuibox.client.models import LogChunk
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.stats_models import StatsBatch, StatsSample
from tuibox.messages import PollFailed
from tuibox.screens import MainScreen
from tuibox.screens.container import HISTORY_SECONDS, ContainerScreen
from tuibox.screens.help import CONTAINER_ENTRIES
from tuibox.stats_feed import StatsFeed, Subscriber
from tuibox.widgets.braille_chart import DOTS_ACROSS, BrailleChart, braille_rows
from tuibox.widgets.inspect_tree import InspectTree
from tuibox.widgets.log_view import LogView
from tuibox.widgets.resource_graph import NO_VALUE, AxisLabels, ResourceGraph


class CountingFeed(StatsFeed):
    """A StatsFeed that counts its subscribers, through subscribe and what it returns."""

    subscribed = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Subscribe, and count until the returned function is called."""
        stop = super().subscribe(subscriber)
        self.subscribed += 1

        def unsubscribe() -> None:
            self.subscribed -= 1
            stop()

        return unsubscribe


def make_feed(session: Session) -> CountingFeed:
    """A feed of the test's own on the fake engine (the app's feed runs apart from it)."""
    client: EngineClientProtocol = session.fake
    return CountingFeed(client, clock=lambda: FROZEN_NOW)


def batch(t: int, samples: dict[str, StatsSample] | None = None) -> StatsBatch:
    """The batch `t` seconds into the script (the history ends at t = 900, FROZEN_NOW)."""
    time = FROZEN_NOW + t - 900
    if samples is None:
        samples = {RUNNING_ID: scripted_sample(t, time)}
    return StatsBatch(time, scripted_host(time), samples)


async def open_screen(
    session: Session, feed: StatsFeed, initial_tab: str = "stats"
) -> ContainerScreen:
    """Push the running container's screen and wait for its history."""
    web = next(c for c in session.fake.containers if c.id == RUNNING_ID)
    screen = ContainerScreen(session.fake, feed, web, clock=lambda: FROZEN_NOW,
                             initial_tab=initial_tab)  # fmt: skip
    await session.app.push_screen(screen)
    await session.settle()
    await session.wait_until(lambda: screen.history_loaded)
    await session.pilot.pause()
    return screen


def axis(graph: ResourceGraph) -> str:
    return graph.query(AxisLabels).first(AxisLabels).top_label


def scripted(field: str, last_t: int) -> list[float]:
    return [float(getattr(scripted_sample(t, 0.0), field)) for t in range(1, last_t + 1)]


async def test_stats_open_full_from_the_history_with_current_values(run_app: RunApp) -> None:
    async with run_app() as session:
        feed = make_feed(session)
        feed._deliver(batch(901))  # the feed's newest is one second past the history
        screen = await open_screen(session, feed)
        assert session.fake.called("stats_history") == [(RUNNING_ID, FROZEN_NOW - HISTORY_SECONDS)]
        assert len(screen.series.cpu) == 900, "15 minutes kept: the oldest second fell off"
        assert screen.series.last == scripted_sample(901, FROZEN_NOW + 1)
        assert screen.graph("cpu").legend == ["CPU", "37.0%", "of 2 cores"]
        assert screen.graph("memory").legend == ["Memory", "65MiB / 512MiB", "12.7%"]
        assert screen.graph("network").legend == ["Network", "rx 150kB/s", "tx 40kB/s", ""]
        assert screen.graph("block").legend == ["Block I/O", "read 1MB/s", "write 250kB/s", ""]
        assert screen.graph("pids").legend == ["PIDs", "4", "limit 64"]
        tops = {name: axis(screen.graph(name))
                for name in ("cpu", "memory", "network", "block", "pids")}  # fmt: skip
        assert tops == {"cpu": "200%", "memory": "512MiB", "network": "200kB/s",
                        "block": "1MB/s", "pids": "64"}  # fmt: skip
        chart = screen.graph("cpu").query_one(BrailleChart)
        width, height = chart.size
        assert width > 0 and height > 0
        drawn = [chart.render_line(y) for y in range(height)]
        assert all(len(list(strip)) == 1 for strip in drawn), "one segment per row"
        cpu = scripted("cpu_percent", 901)  # 901 values: the newest alone in its cell
        expected = braille_rows([*cpu[-(width * DOTS_ACROSS - 1) :], cpu[-1]],
                                width, height, 200.0)  # fmt: skip
        assert [strip.text for strip in drawn] == expected
        assert "graphs: last 3m 02s" in str(screen.query_one("#container-title", Static).content)


async def test_a_cpu_limit_tops_the_cpu_graph_at_the_limit(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.cpu_limits[RUNNING_ID] = 0.5
        screen = await open_screen(session, make_feed(session))
        assert session.fake.called("cpu_limit") == [(RUNNING_ID,)]
        assert screen.graph("cpu").legend[2] == "limit 0.5 cores"
        assert axis(screen.graph("cpu")) == "50%"


async def test_a_feed_batch_appends_one_sample_and_redraws(run_app: RunApp) -> None:
    async with run_app() as session:
        feed = make_feed(session)
        screen = await open_screen(session, feed)
        chart = screen.graph("cpu").query_one(BrailleChart)
        before = list(chart.rows)
        revision = screen.series.cpu.revision
        feed._deliver(batch(901))
        await session.pilot.pause()
        assert screen.series.cpu.revision == revision + 1
        assert screen.series.last == scripted_sample(901, FROZEN_NOW + 1)
        assert screen.graph("cpu").legend[1] == "37.0%"
        assert screen.graph("pids").legend[1] == "4"
        assert chart.rows != before
        feed._deliver(batch(901))  # the same second again
        feed._deliver(batch(902, {"f0" * 32: scripted_sample(902, FROZEN_NOW + 2)}))
        await session.pilot.pause()
        assert screen.series.cpu.revision == revision + 1, "only its newer samples count"
        feed._deliver(batch(902))
        await session.pilot.pause()
        assert screen.series.cpu.revision == revision + 2
        assert screen.graph("memory").legend[1] == "66MiB / 512MiB"


async def test_closing_unsubscribes_and_stops_the_logs(run_app: RunApp) -> None:
    async with run_app() as session:
        feed = make_feed(session)
        screen = await open_screen(session, feed, initial_tab="logs")
        assert feed.subscribed == 1
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        assert feed.subscribed == 0
        revision = screen.series.cpu.revision
        feed._deliver(batch(901))
        await session.pilot.pause()
        assert screen.series.cpu.revision == revision
        await session.wait_until(
            lambda: all(not w.is_running for w in session.app.workers if w.group == "logs")
        )


async def test_engines_without_a_batched_stream_follow_the_shown_container(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        feed = make_feed(session)
        feed.batched = False  # another engine: per-container streams of the watched ones
        await open_screen(session, feed)
        await session.wait_until(lambda: bool(session.fake.called("container_stats")))
        assert session.fake.called("container_stats") == [(RUNNING_ID,)]
        feed.watch(set())  # ends the stream the feed opened


@pytest.mark.parametrize("no_history", ["not found", "empty"])
async def test_without_history_the_graphs_start_empty_and_fill_live(
    run_app: RunApp, no_history: str
) -> None:
    async with run_app() as session:
        if no_history == "not found":
            session.fake.fail["stats_history"] = NotFoundError("page not found", 404)
        else:
            session.fake.stats_history_by_id = {}
        feed = make_feed(session)
        screen = await open_screen(session, feed)
        assert len(screen.series.cpu) == 0
        assert screen.graph("cpu").legend[1] == NO_VALUE
        assert not "".join(screen.graph("cpu").query_one(BrailleChart).rows).strip()
        title = str(screen.query_one("#container-title", Static).content)
        assert "no history from this engine" in title
        feed._deliver(batch(901))
        await session.pilot.pause()
        assert screen.graph("network").legend[1:3] == [f"rx {NO_VALUE}", f"tx {NO_VALUE}"]
        feed._deliver(batch(902))
        await session.pilot.pause()
        assert len(screen.series.cpu) == 2
        assert screen.graph("network").legend[1] == "rx 150kB/s"
        assert session.notifications == []


async def test_a_lost_engine_on_open_is_reported_and_the_screen_still_fills(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        session.fake.fail["stats_history"] = EngineUnavailableError("cannot reach the engine")
        feed = make_feed(session)
        screen = await open_screen(session, feed)
        assert any(isinstance(m, PollFailed) for m in session.messages)
        feed._deliver(batch(901))
        await session.pilot.pause()
        assert len(screen.series.cpu) == 1


async def test_logs_tab_follows_from_its_first_showing_and_clears(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.log_chunks = [LogChunk("stdout", "listening\n\x1b[31mred\x1b[0m\n")]
        feed = make_feed(session)
        screen = await open_screen(session, feed)
        assert session.fake.called("logs") == [], "logs are fetched only once shown"
        await session.press("c")  # only on the Logs tab: nothing to clear here
        await session.press("2")
        assert screen.active_tab == "logs"
        log = screen.query_one(LogView)
        await session.wait_until(lambda: len(log.lines) == 2)
        assert log.lines == ["listening", "red"]
        assert session.fake.called("logs") == [(RUNNING_ID, True, 1000, True, None)]
        await session.press("c")
        assert log.lines == []
        await session.press("1")
        assert screen.active_tab == "stats"
        await session.press("2")
        followed_once = [(RUNNING_ID, True, 1000, True, None)]
        assert session.fake.called("logs") == followed_once, "followed once"


async def test_tab_keys_cycle_and_the_logs_tab_can_open_first(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.log_chunks = [LogChunk("stdout", "hello\n")]
        feed = make_feed(session)
        screen = await open_screen(session, feed, initial_tab="logs")
        assert screen.active_tab == "logs"
        log = screen.query_one(LogView)
        await session.wait_until(lambda: log.lines == ["hello"])
        await session.press("tab")
        assert screen.active_tab == "inspect"
        await session.press("tab", "tab", "tab", "tab")
        assert screen.active_tab == "health"
        await session.press("tab")
        assert screen.active_tab == "network"
        await session.press("tab")
        assert screen.active_tab == "stats"
        assert "".join(screen.graph("cpu").query_one(BrailleChart).rows).strip(), "drawn"
        await session.wait_until(
            lambda: "graphs: last" in str(screen.query_one("#container-title", Static).content)
        )
        await session.press("tab")
        assert screen.active_tab == "logs"
        await session.press("shift+tab")
        assert screen.active_tab == "stats"
        await session.press("shift+tab")
        assert screen.active_tab == "network"
        await session.press("shift+tab")
        assert screen.active_tab == "health"


def test_an_unknown_tab_is_refused_and_the_keys_are_in_the_help() -> None:
    with pytest.raises(ValueError, match="exec"):
        ContainerScreen(None, None, None, clock=lambda: 0.0, initial_tab="exec")  # type: ignore[arg-type]
    for entry in [("Container", "Esc", "Back"), ("Container", "Tab", "Next tab"),
                  ("Container", "1", "Stats tab"), ("Container", "2", "Logs tab"),
                  ("Container", "c", "Clear log")]:  # fmt: skip
        assert entry in CONTAINER_ENTRIES


async def test_the_inspect_tab_folds_the_document(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_screen(session, make_feed(session))
        await session.press("3")
        await session.wait_until(lambda: bool(screen.query_one(InspectTree).root.children))
        assert screen.active_tab == "inspect"
        assert session.fake.called("inspect_container") == [(RUNNING_ID,)]
        tree = screen.query_one(InspectTree)
        top = {str(node.label): node for node in tree.root.children}
        assert set(top) >= {f'Id: "{RUNNING_ID}"', "State", "Config", "HostConfig"}
        assert top["State"].is_expanded and top["Config"].is_expanded
        env = next(node for node in top["Config"].children if str(node.label).startswith("Env"))
        assert str(env.label) == "Env [2]" and not env.is_expanded
        assert [str(n.label) for n in env.children] == ['0: "PATH=/bin"', '1: "A=b"']
        assert "Binds: null" in [str(n.label) for n in top["HostConfig"].children]


async def test_slash_searches_the_inspect_tree_opening_the_way_to_each_match(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        screen = await open_screen(session, make_feed(session))
        await session.press("3")
        tree = screen.query_one(InspectTree)
        await session.wait_until(lambda: bool(tree.root.children))
        await session.press("slash")
        await session.pilot.press(*"a=B")
        await session.press("enter")
        assert [str(node.label) for node in tree.matches] == ['1: "A=b"']
        match = tree.matches[0]
        assert match.parent is not None and match.parent.is_expanded, "Env was folded"
        await session.wait_until(lambda: tree.cursor_node is match)
        assert highlighted(_text(match.label).spans), "the match is highlighted"
        await session.press("slash")
        await session.pilot.press("backspace", "backspace", "backspace", *"running")
        await session.press("enter")
        assert [str(node.label) for node in tree.matches] == ['Status: "running"', "Running: true"]
        assert not highlighted(env_labels(tree)), "old highlights are undone"
        await session.press("n")
        assert tree.current_match == 1
        await session.wait_until(lambda: tree.cursor_node is tree.matches[1])
        await session.press("n")
        assert tree.current_match == 0, "n wraps"
        await session.press("N")
        assert tree.current_match == 1
        await session.press("slash")
        await session.pilot.press(*"zzz")
        await session.press("enter")
        assert tree.matches == [] and session.notifications[-1].message == "No match for 'zzz'."


def highlighted(spans: list[Span]) -> bool:
    return any(isinstance(span.style, Style) and span.style.bgcolor is not None for span in spans)


def env_labels(tree: InspectTree) -> list[Span]:
    config = next(n for n in tree.root.children if str(n.label) == "Config")
    env = next(n for n in config.children if str(n.label).startswith("Env"))
    return [span for node in env.children for span in _text(node.label).spans]


def _text(label: str | Text) -> Text:
    return Text(label) if isinstance(label, str) else label
