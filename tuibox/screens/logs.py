"""Provides LogsScreen: follows one container's output until Esc."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static
from textual.worker import Worker

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary, LogChunk, LogStream

if TYPE_CHECKING:
    from tuibox.app import TuiboxApp

MAX_LOG_LINES = 10_000


class LineAssembler:
    """Joins stream chunks into whole lines, per stream, whatever the chunk boundaries."""

    def __init__(self) -> None:
        self._pending: dict[LogStream, str] = {}

    def feed(self, chunk: LogChunk) -> list[tuple[LogStream, str]]:
        """Add a chunk; returns the lines it completed."""
        text = self._pending.pop(chunk.stream, "") + chunk.text
        *lines, rest = text.split("\n")
        if rest:
            self._pending[chunk.stream] = rest
        return [(chunk.stream, line.rstrip("\r")) for line in lines]

    def flush(self) -> list[tuple[LogStream, str]]:
        """Return the unterminated last lines, if any."""
        pending = [(stream, text) for stream, text in self._pending.items() if text]
        self._pending.clear()
        return pending


class LogsScreen(Screen[None]):
    """The container's logs, following; stderr lines are coloured."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "clear_log", "Clear"),
    ]
    """Esc returns to the lists; c clears what is shown."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"logsscreen--stderr", "logsscreen--system"}

    def __init__(self, container: ContainerSummary) -> None:
        super().__init__()
        self.container = container

    def compose(self) -> ComposeResult:
        """Title line, the log, the key footer."""
        title = f" Logs: {self.container.name} ({self.container.image}) · following · Esc back"
        yield Static(title, id="logs-title", markup=False)
        yield RichLog(id="logs-view", max_lines=MAX_LOG_LINES, wrap=True, auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        """Start following."""
        self.follow_logs()

    @property
    def log_view(self) -> RichLog:
        """The log widget."""
        return self.query_one("#logs-view", RichLog)

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_logs(self) -> None:
        """Stream the logs into the view; ends when the container stops or Esc is pressed."""
        client = cast("TuiboxApp", self.app).client
        assembler = LineAssembler()
        try:
            async for chunk in client.logs(self.container.id, follow=True, tail=1000):
                self._write(assembler.feed(chunk))
        except EngineError as err:
            self._write(assembler.flush())
            cast("TuiboxApp", self.app).report_action_error("Logs failed", err)
            return
        self._write(assembler.flush())
        self.log_view.write(Text("— end of log stream —", style="dim"))

    def _write(self, lines: list[tuple[LogStream, str]]) -> None:
        for stream, line in lines:
            style: Style | str = ""
            if stream in ("stderr", "system"):
                style = self.get_component_rich_style(f"logsscreen--{stream}", partial=True)
            self.log_view.write(Text(line, style=style))

    def action_clear_log(self) -> None:
        """Clear the view (the stream keeps following)."""
        self.log_view.clear()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Hand failed workers to the app."""
        cast("TuiboxApp", self.app).report_worker_state(event)
