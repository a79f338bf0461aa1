"""Provides MainScreen: the engine header over the panes, Containers to Networks, in tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, TabbedContent, TabPane

from tuibox.client.protocol import EngineClientProtocol
from tuibox.panes.containers import ContainersPane
from tuibox.panes.engine_pane import EnginePane
from tuibox.panes.images import ImagesPane
from tuibox.panes.networks import NetworksPane
from tuibox.panes.registries import RegistriesPane
from tuibox.panes.volumes import VolumesPane
from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.help import (
    CONTAINER_ENTRIES,
    IMAGE_DETAIL_ENTRIES,
    MOVEMENT_ENTRIES,
    REGISTRY_BROWSER_ENTRIES,
    HelpEntry,
    HelpScreen,
    binding_entries,
)
from tuibox.screens.overview import OverviewScreen
from tuibox.stats_feed import StatsFeed
from tuibox.widgets.engine_header import EngineHeader, EngineView
from tuibox.widgets.visibility import is_shown

PANE_IDS = ("containers", "images", "registries", "volumes", "networks")


class MainScreen(Screen[None]):
    """Five panes in tabs under a one-line engine header with the host's figures.

    It hands the app's StatsFeed to the header and the containers pane, and tells that pane
    when it is the one on view (its tab shown and this screen on top), so that only it
    says which containers are visible; another tab means none are.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "next_pane", "Next pane", priority=True, show=False),
        Binding("shift+tab", "previous_pane", "Previous pane", priority=True, show=False),
        Binding("1", "show_pane('containers')", "Containers", show=False),
        Binding("2", "show_pane('images')", "Images", show=False),
        Binding("3", "show_pane('registries')", "Registries", show=False),
        Binding("4", "show_pane('volumes')", "Volumes", show=False),
        Binding("5", "show_pane('networks')", "Networks", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("o", "overview", "Overview", show=False),
    ]
    """Pane switching, help and the resource overview."""

    def __init__(
        self,
        client: EngineClientProtocol,
        *,
        feed: StatsFeed,
        clock: Callable[[], float],
        poll_interval: float,
        engine_view: EngineView | None = None,
    ) -> None:
        """Build the screen; the panes get the same client, clock and poll interval.

        Args:
            client: How the panes reach the engine.
            feed: The app's stats feed, for the header and the containers' figures.
            clock: The current Unix time, for the ages shown.
            poll_interval: Seconds between two refreshes of a list.
            engine_view: What the header shows first.
        """
        super().__init__()
        self.client = client
        self.feed = feed
        self.clock = clock
        self.poll_interval = poll_interval
        self._engine_view = engine_view or EngineView()

    def compose(self) -> ComposeResult:
        """Header, tabs, footer."""
        client, clock, interval = self.client, self.clock, self.poll_interval
        yield EngineHeader(self._engine_view, feed=self.feed, id="engine-header")
        with TabbedContent(initial="containers", id="panes"):
            with TabPane("1 Containers", id="containers"):
                yield ContainersPane(
                    client,
                    feed=self.feed,
                    clock=clock,
                    poll_interval=interval,
                    id="containers-pane",
                )
            with TabPane("2 Images", id="images"):
                yield ImagesPane(client, clock=clock, poll_interval=interval, id="images-pane")
            with TabPane("3 Registries", id="registries"):
                yield RegistriesPane(
                    client, clock=clock, poll_interval=interval, id="registries-pane"
                )
            with TabPane("4 Volumes", id="volumes"):
                yield VolumesPane(client, clock=clock, poll_interval=interval, id="volumes-pane")
            with TabPane("5 Networks", id="networks"):
                yield NetworksPane(client, clock=clock, poll_interval=interval,
                                   id="networks-pane")  # fmt: skip
        yield Footer()

    def show_engine_view(self, view: EngineView) -> None:
        """Show another engine state in the header (the app calls this on every change)."""
        self._engine_view = view
        for header in self.query(EngineHeader).results(EngineHeader):
            header.show(view)

    @property
    def active_pane(self) -> str:
        """The ID of the pane shown: containers, images, registries, volumes or networks."""
        return self.query_one(TabbedContent).active

    def action_show_pane(self, pane_id: str) -> None:
        """Show one pane and focus its list."""
        self.query_one(TabbedContent).active = pane_id
        self._focus_active_table()

    def action_next_pane(self) -> None:
        """Show the pane to the right (wrapping)."""
        index = PANE_IDS.index(self.active_pane)
        self.action_show_pane(PANE_IDS[(index + 1) % len(PANE_IDS)])

    def action_previous_pane(self) -> None:
        """Show the pane to the left (wrapping)."""
        index = PANE_IDS.index(self.active_pane)
        self.action_show_pane(PANE_IDS[(index - 1) % len(PANE_IDS)])

    def on_mount(self) -> None:
        """Focus the containers list."""
        self._focus_active_table()

    @on(TabbedContent.TabActivated)
    def _on_tab_activated(self) -> None:
        self._focus_active_table()
        self._hand_visibility_to_pane()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Back on top (after the overview, logs or details): the pane says what it shows,
        and what waited while this screen was covered is brought up to date."""
        self._hand_visibility_to_pane()
        for header in self.query(EngineHeader).results(EngineHeader):
            header.catch_up()
        for pane in self.query(EnginePane).results(EnginePane):
            pane.refresh_now()

    def on_screen_suspend(self, event: events.ScreenSuspend) -> None:
        """Another screen is on top: it says what it shows, the pane keeps quiet."""
        for pane in self.query(ContainersPane).results(ContainersPane):
            pane.announcing = False

    def _hand_visibility_to_pane(self) -> None:
        for pane in self.query(ContainersPane).results(ContainersPane):
            pane.announcing = self.active_pane == "containers" and is_shown(self)
            if pane.announcing:
                pane.announce_visible(force=True)
            elif is_shown(self):
                self.feed.watch(set())  # another pane is shown: no container is visible

    def action_overview(self) -> None:
        """Show every running container by CPU or memory use."""
        self.app.push_screen(
            OverviewScreen(
                self.client, self.feed, clock=self.clock, poll_interval=self.poll_interval
            )
        )

    def _focus_active_table(self) -> None:
        # During start-up or shutdown (a signal may quit the app at any moment) there may
        # be no active pane yet, or no more: then there is nothing to focus.
        if not self.active_pane:
            return
        for table in self.query(f"#{self.active_pane}-pane DataTable").results(DataTable):
            table.focus()
            return

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen(help_entries(self.app.BINDINGS)))


def help_entries(app_bindings: list[BindingType]) -> list[HelpEntry]:
    """Collect the help lines from the BINDINGS of the app, its screens and its panes.

    Args:
        app_bindings: The app's BINDINGS (keys that work anywhere).

    Returns:
        The lines in the order shown: the app, MainScreen, the lists, the panes (from
        tuibox.panes), then OverviewScreen, ContainerScreen and ConfirmModal (tuibox.screens).
    """
    return [
        *binding_entries("Anywhere", app_bindings),
        *binding_entries("Main", MainScreen.BINDINGS),
        *MOVEMENT_ENTRIES,
        *binding_entries("Containers", ContainersPane.BINDINGS),
        *binding_entries("Images", ImagesPane.BINDINGS),
        *binding_entries("Registries", RegistriesPane.BINDINGS),
        *REGISTRY_BROWSER_ENTRIES,
        *binding_entries("Volumes", VolumesPane.BINDINGS),
        *binding_entries("Networks", NetworksPane.BINDINGS),
        *binding_entries("Overview", OverviewScreen.BINDINGS),
        *CONTAINER_ENTRIES,
        *IMAGE_DETAIL_ENTRIES,
        *binding_entries("Confirm", ConfirmModal.BINDINGS),
        ("Confirm", "Tab  Enter", "Move to the action button; press the focused one"),
    ]
