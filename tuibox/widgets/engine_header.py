"""Provides EngineHeader: one line naming the engine, its state and why it is not up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.widget import Widget

Badge = Literal["connecting", "starting", "up", "restarting", "down", "lost"]
BADGE_COMPONENTS: dict[str, str] = {
    "up": "engineheader--up",
    "starting": "engineheader--busy",
    "connecting": "engineheader--busy",
    "restarting": "engineheader--busy",
    "down": "engineheader--down",
    "lost": "engineheader--down",
}


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


class EngineHeader(Widget):
    """The top line of the main screen: "tuibox ● up  Docker 28.2.2 · API 1.44  unix:///…"."""

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

    def __init__(self, view: EngineView | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view = view or EngineView()

    @property
    def view(self) -> EngineView:
        """What the header shows now."""
        return self._view

    def show(self, view: EngineView) -> None:
        """Show another engine state."""
        if view != self._view:
            self._view = view
            self.refresh()

    def render(self) -> Text:
        """Draw the line; engine text is never parsed as markup."""
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
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line
