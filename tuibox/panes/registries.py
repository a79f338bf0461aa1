"""Provides RegistriesPane: Docker Hub, mirrors and insecure registries from the engine's /info."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tuibox.client.errors import EngineError
from tuibox.client.models import EngineInfo
from tuibox.messages import EngineReached, PollFailed
from tuibox.panes.engine_pane import EnginePane
from tuibox.widgets.registry_list import RegistryTable

INFO_POLL_FACTOR = 5
"""/info is heavier than the lists and changes only with the engine config: poll it less."""


def engine_summary(info: EngineInfo) -> str:
    """One line about the engine behind the registries, e.g. "host1 · 3 containers (1 running)"."""
    parts = [
        info.name or "engine",
        f"{info.containers} containers ({info.containers_running} running)",
        f"{info.images} images",
    ]
    if info.operating_system:
        parts.append(info.operating_system)
    return " · ".join(parts)


class RegistriesPane(EnginePane):
    """Where the engine pulls from: Docker Hub, its mirrors in order, and insecure registries."""

    def compose(self) -> ComposeResult:
        """A summary line and the table."""
        yield Static("", id="registries-summary", markup=False)
        yield RegistryTable(id="registries-table")

    @property
    def poll_interval(self) -> float:
        """/info is polled every few seconds."""
        return super().poll_interval * INFO_POLL_FACTOR

    async def fetch_and_show(self) -> None:
        """Fetch /info and show its registry configuration."""
        try:
            info = await self.client.info()
        except EngineError as err:
            self.post_message(PollFailed(err))
            return
        self.post_message(EngineReached())
        summary = self.query_one("#registries-summary", Static)
        text = engine_summary(info)
        if str(summary.render()) != text:  # an unchanged update still costs a layout
            summary.update(text)
        self.query_one(RegistryTable).show(info)
