"""Provides TabCycling: the tab keys a detail screen shares (show one, next, previous)."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen
from textual.widgets import TabbedContent


class TabCycling(Screen[None]):
    """A screen over one TabbedContent whose tabs are TAB_IDS, in order; `initial_tab` is
    the one shown until the tabs are up."""

    TAB_IDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, initial_tab: str) -> None:
        """Show `initial_tab` first.

        Raises:
            ValueError: `initial_tab` names no tab.
        """
        if initial_tab not in self.TAB_IDS:
            raise ValueError(f"no tab {initial_tab!r}; tabs are {', '.join(self.TAB_IDS)}")
        super().__init__()
        self.initial_tab = initial_tab

    @property
    def active_tab(self) -> str:
        """The ID of the tab shown (the initial one until the tabs are up)."""
        for tabs in self.query(TabbedContent).results(TabbedContent):
            return tabs.active or self.initial_tab
        return self.initial_tab

    def action_show_tab(self, tab_id: str) -> None:
        """Show one tab."""
        self.query_one(TabbedContent).active = tab_id

    def action_next_tab(self) -> None:
        """Show the tab to the right (wrapping)."""
        tabs = self.TAB_IDS
        self.action_show_tab(tabs[(tabs.index(self.active_tab) + 1) % len(tabs)])

    def action_previous_tab(self) -> None:
        """Show the tab to the left (wrapping)."""
        tabs = self.TAB_IDS
        self.action_show_tab(tabs[(tabs.index(self.active_tab) - 1) % len(tabs)])
