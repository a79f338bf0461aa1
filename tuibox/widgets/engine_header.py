"""Provides EngineHeader: one line naming the engine, its state, and the host's figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from tuibox.client.stats_models import HostStats, StatsBatch
from tuibox.stats_feed import StatsFeed
from tuibox.widgets.format import memory_pair, percent
from tuibox.widgets.visibility import is_shown

Badge = Literal["connecting", "starting", "up", "restarting", "down", "lost"]
BADGE_COMPONENTS: dict[str, str] = {
    "up": "engineheader--up",
    "starting": "engineheader--busy",
    "connecting": "engineheader--busy",
    "restarting": "engineheader--busy",
    "down": "engineheader--down",
    "lost": "engineheader--down",
}


MIN_ENGINE_TEXT = 30
"""Columns the engine's name and state keep; a narrower header hides the host figures."""


@dataclass(frozen=True)
class EngineView:
    """What the header shows: the state badge, the engine's name, the socket, the reason."""

    badge: Badge = "connecting"
    identity: str = ""
    host: str = ""
    detail: str = ""

    @property
    def is_down(self) -> bool:
        """Whether the engine cannot serve requests now."""
        return self.badge in ("down", "lost", "restarting")


def host_figures(host: HostStats | None) -> str:
    """The header's figures, e.g. "cpu 24% · mem 5.0/24 GiB · 1/3 running" ("" without any).

    The CPU figure is padded to 3 characters so the text keeps its width as it changes.
    Engines other than tuibox's send no host figures (memory_total stays 0).
    """
    if host is None or host.memory_total <= 0:
        return ""
    return (
        f"cpu {percent(host.cpu_percent):>3} · "
        f"mem {memory_pair(host.memory_used, host.memory_total)} · "
        f"{host.containers_running}/{host.containers} running"
    )


class HostFigures(Widget):
    """The header's host figures, a widget of their own at its right end.

    Textual resends a changed line from the left edge of the widget that changed, so the
    figures changing each second cost their own cells, not the engine's name before them.
    Same-width changes (the CPU figure is padded) repaint without a layout.
    """

    DEFAULT_CSS = """
    HostFigures { dock: right; width: auto; height: 1; padding: 0 1 0 2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = ""

    @property
    def text(self) -> str:
        """The figures shown ("" for none)."""
        return self._text

    def show(self, text: str) -> None:
        """Show other figures; only a change of width lays the header out again."""
        if text == self._text:
            return
        resized = len(text) != len(self._text)
        self._text = text
        self.display = bool(text)
        self.refresh(layout=resized)

    def render(self) -> Text:
        """The figures, never parsed as markup."""
        return Text(self._text, no_wrap=True, overflow="crop")


class EngineHeader(Widget):
    """The top line of the main screen: "tuibox ● up  tuibox 0.1.0 · API 1.44  unix:///…".

    With a stats feed it also shows the host's figures at the right (HostFigures), updated
    with every batch; the engine's part is drawn only when the engine's state changes.
    """

    DEFAULT_CSS = """
    EngineHeader { dock: top; height: 1; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "engineheader--title",
        "engineheader--up",
        "engineheader--busy",
        "engineheader--down",
        "engineheader--host",
    }

    def __init__(
        self,
        view: EngineView | None = None,
        *,
        feed: StatsFeed | None = None,
        id: str | None = None,
    ) -> None:
        """Build the header.

        Args:
            view: The engine state shown first.
            feed: Where the host's figures come from (none shown without it).
            id: The widget ID.
        """
        super().__init__(id=id)
        self._view = view or EngineView()
        self._feed = feed
        self._host: HostStats | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._figures = HostFigures(id="host-figures")
        self._figures.display = False

    def compose(self) -> ComposeResult:
        """The figures, docked right (hidden until there are some)."""
        yield self._figures

    def on_mount(self) -> None:
        """Show the feed's figures now and with every batch."""
        if self._feed is not None:
            self._unsubscribe = self._feed.subscribe(self._on_batch)
            self.show_host(self._feed.host)

    def on_unmount(self) -> None:
        """Stop listening to the feed."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_resize(self) -> None:
        """A narrower or wider line may have room for the figures, or not."""
        self._show_figures()

    def _on_batch(self, batch: StatsBatch) -> None:
        if self._feed is not None and is_shown(self.screen):  # a covered screen waits
            self.show_host(self._feed.host)

    def catch_up(self) -> None:
        """Show the latest host figures (the screen is back on top)."""
        if self._feed is not None:
            self.show_host(self._feed.host)

    @property
    def figures(self) -> str:
        """The host figures shown now ("" for none)."""
        return self._figures.text

    @property
    def view(self) -> EngineView:
        """What the header shows now."""
        return self._view

    def show(self, view: EngineView) -> None:
        """Show another engine state (figures are hidden while the engine is not up)."""
        if view != self._view:
            self._view = view
            self.refresh()
            self._show_figures()

    def show_host(self, host: HostStats | None) -> None:
        """Show other host figures (only their own cells are repainted)."""
        self._host = host
        self._show_figures()

    def _show_figures(self) -> None:
        figures = self._figures
        text = "" if self._view.is_down else host_figures(self._host)
        if self.size.width and self.size.width - len(text) - 3 < MIN_ENGINE_TEXT:
            text = ""
        was_shown = bool(figures.text)
        figures.show(text)
        if bool(text) != was_shown:
            self.refresh()  # the engine's text gets (or gives back) the room on the right

    def render(self) -> Text:
        """Draw the engine's part, leaving the figures their room; never parsed as markup."""
        line = self._engine_text()
        if self.figures:
            room = self.size.width - len(self.figures) - 3
            line.truncate(max(0, room), overflow="ellipsis")
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    def _engine_text(self) -> Text:
        view = self._view
        line = Text(" tuibox ", style=self.get_component_rich_style("engineheader--title"))
        badge_style = self.get_component_rich_style(BADGE_COMPONENTS[view.badge])
        line.append(f" ● engine {view.badge} ", style=badge_style)
        if view.identity:
            line.append(f"  {view.identity}")
        if view.host:
            line.append(f"  {view.host}", style=self.get_component_rich_style("engineheader--host"))
        if view.detail:
            line.append(f"  {view.detail}", style=badge_style)
        return line
