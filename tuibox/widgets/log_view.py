"""Provides LogView: one container's followed output, in colour, searchable, batched."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import ClassVar, Self

from textual import on, work
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary, LogChunk, LogStream
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import ActionFailed, WorkerCrashed
from tuibox.widgets.log_lines import LogLines
from tuibox.widgets.search_bar import SearchBar

MAX_LOG_LINES = 10_000
"""Lines kept on screen (and waiting for the next flush); older ones are dropped."""
FLUSH_INTERVAL = 0.1
"""Seconds between writes to the log widget: at most 10 repaints a second, however busy."""
LOG_TAIL = 1000
"""Lines of past output asked for when following starts (until another window is chosen)."""
END_OF_STREAM = "— end of log stream —"


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


class LogView(ScrollView, can_focus=True):
    """One container's logs, following from `follow()` until the widget is removed.

    The stream worker only collects raw lines into a bounded buffer and yields to the event
    loop after every chunk; a 0.1 s timer moves the buffer into the view with one
    write_lines call. So a flood of output costs at most ten repaints a second and keys are
    handled at once. Lines keep their colours: only SGR sequences pass, everything else a
    terminal would act on is stripped (LogLines). The engine is asked for timestamps, shown
    on `t`; `w` wraps long lines; `/` searches, `n` and `N` move between the matches.
    Removing the widget cancels the worker, which closes the stream. A refused stream is
    posted up as ActionFailed.
    """

    DEFAULT_CSS = """
    LogView { background: $surface; overflow: auto; }
    LogView:focus { background-tint: $foreground 5%; }
    LogView > .logview--timestamp { color: $text-muted; }
    LogView > .logview--match { background: $warning 45%; }
    LogView > .logview--current-match { background: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "logview--timestamp",
        "logview--match",
        "logview--current-match",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
        Binding("t", "toggle_timestamps", "Timestamps"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("s", "save", "Save"),
        Binding("T", "window", "Tail/since window", show=False),
    ]
    """Search and move between matches, timestamps, wrapping, saving, the history window."""

    class StatusChanged(Message):
        """What the view says about itself (search, timestamps, wrap) changed."""

    class SaveRequested(Message):
        """`s`: the screen asks where to, then calls save_to."""

    class WindowRequested(Message):
        """`T`: the screen asks for a tail or since window, then calls set_window."""

    def __init__(
        self,
        client: EngineClientProtocol,
        container: ContainerSummary,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Build the view; nothing is fetched until `follow()`.

        Args:
            client: How the view reaches the engine.
            container: The container whose logs are followed.
            id: The widget's ID.
            classes: The widget's CSS classes.
        """
        super().__init__(id=id, classes=classes)
        self.client = client
        self.container = container
        self.following = False
        self.tail: int | str = LOG_TAIL
        """How many past lines the stream starts with ("all" for every one)."""
        self.since: float | None = None
        """The Unix time the stream starts from, None for no bound."""
        self.auto_scroll = True
        self.log_lines = LogLines(MAX_LOG_LINES)
        self._pending: deque[str] = deque(maxlen=MAX_LOG_LINES)

    @property
    def lines(self) -> list[str]:
        """The text of every line shown (no colours, no timestamps)."""
        return self.log_lines.plain_lines()

    def follow(self) -> None:
        """Start following and flushing ten times a second; later calls do nothing."""
        if self.following:
            return
        self.following = True
        self.set_interval(FLUSH_INTERVAL, self.flush_pending)
        self.follow_logs()

    def set_window(self, tail: int | str, since: float | None) -> None:
        """Follow again from another window of the past: `tail` lines, from `since`."""
        self.tail, self.since = tail, since
        self.clear()
        if self.following:
            self.follow_logs()  # exclusive: the stream in flight is cancelled
        self._announce()

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_logs(self) -> None:
        """Stream the logs into the buffer; ends when the container stops or the view goes."""
        assembler = LineAssembler()
        try:
            async for chunk in self.client.logs(self.container.id, follow=True, tail=self.tail,
                                                timestamps=True, since=self.since):  # fmt: skip
                self._pending.extend(line for _, line in assembler.feed(chunk))
                await asyncio.sleep(0)
        except EngineError as err:
            self._pending.extend(line for _, line in assembler.flush())
            self.flush_pending()
            self.post_message(ActionFailed("Logs failed", err))
            return
        self._pending.extend(line for _, line in assembler.flush())
        self._pending.append(END_OF_STREAM)
        self.flush_pending()

    def flush_pending(self) -> None:
        """Write the buffered lines to the view in one batch."""
        if self._pending:
            batch = list(self._pending)
            self._pending.clear()
            self.write_lines(batch)

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Self:
        """Add raw lines as the engine sent them (a timestamp first, control sequences in)."""
        at_end = self.scroll_y >= self.max_scroll_y
        self.log_lines.add(lines)
        self._update_size()
        follow = self.auto_scroll if scroll_end is None else scroll_end
        if follow and at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        if self.log_lines.query:
            self._announce()
        return self

    def clear(self) -> Self:
        """Clear the view and drop what waits to be shown (the stream keeps following)."""
        self._pending.clear()
        self.log_lines.clear()
        self._update_size()
        self.refresh()
        return self

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width
        self.log_lines.layout(width)
        self.virtual_size = Size(width if self.log_lines.wrap else self.log_lines.max_width,
                                 self.log_lines.row_count)  # fmt: skip

    def on_resize(self, event: Resize) -> None:
        """Wrapped lines take another number of rows at another width."""
        self._update_size()

    def notify_style_update(self) -> None:
        """Styles changed (theme): draw the lines again."""
        super().notify_style_update()
        self.log_lines.styles = {}
        self.log_lines.forget_drawn()

    def render_line(self, y: int) -> Strip:
        """One row of the view: a line, or one row of a wrapped line."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        style = self.rich_style
        if not self.log_lines.styles:
            self.log_lines.styles = {
                name.removeprefix("logview--"): self.get_component_rich_style(name, partial=True)
                for name in self.COMPONENT_CLASSES
            }
        strip = self.log_lines.row(scroll_y + y, self.app.console, width)
        if strip is None:
            return Strip.blank(width, style)
        start = 0 if self.log_lines.wrap else scroll_x
        return strip.crop_extend(start, start + width, style).apply_style(style)

    def _announce(self) -> None:
        # Created from the view's own queue: a message made while the parent's code runs
        # (a prompt's answer) counts the parent as its sender and would stop there.
        self.call_later(lambda: self.post_message(self.StatusChanged()))

    @property
    def status(self) -> str:
        """A few words for the screen's title: window, search position, toggles."""
        parts = [f"last {self.tail} lines" if self.tail != "all" else "all lines"]
        if self.since is not None:
            parts.append("since a time")
        parts.extend(name for name, on_ in (("timestamps", self.log_lines.show_timestamps),
                                            ("wrap", self.log_lines.wrap)) if on_)  # fmt: skip
        if self.log_lines.query:
            parts.append(self.log_lines.match_status())
        return " · ".join(parts)

    def action_search(self) -> None:
        """Ask for a search (the screen shows the search bar)."""
        self.post_message(SearchBar.Requested(self, self.log_lines.query))

    def search(self, query: str) -> None:
        """Highlight `query` (any case) and go to its first match from the top of the view."""
        self.log_lines.search(query, first_row=round(self.scroll_y))
        self._show_current_match()

    def action_next_match(self) -> None:
        """Go to the next match (wrapping)."""
        self._step(1)

    def action_previous_match(self) -> None:
        """Go to the previous match (wrapping)."""
        self._step(-1)

    def _step(self, direction: int) -> None:
        if not self.log_lines.query:
            self.notify("Search first: / then the text.", severity="warning")
            return
        self.log_lines.step(direction)
        self._show_current_match()

    def _show_current_match(self) -> None:
        row = self.log_lines.current_match_row()
        if row is None and self.log_lines.query:
            self.notify(f"No match for {self.log_lines.query!r}.", severity="warning",
                        markup=False)  # fmt: skip
        if row is not None:
            height = self.scrollable_content_region.height
            self.scroll_to(y=max(0, row - height // 3), animate=False, immediate=True)
        self.refresh()
        self._announce()

    def action_toggle_timestamps(self) -> None:
        """Show or hide each line's time (as `docker logs -t`)."""
        self.log_lines.show_timestamps = not self.log_lines.show_timestamps
        self._redraw()

    def action_toggle_wrap(self) -> None:
        """Wrap long lines at the view's width, or scroll sideways to see them."""
        self.log_lines.wrap = not self.log_lines.wrap
        self.scroll_to(x=0, animate=False, immediate=True)
        self._redraw()

    def _redraw(self) -> None:
        at_end = self.scroll_y >= self.max_scroll_y
        self.log_lines.forget_drawn()
        self._update_size()
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        self._announce()

    def action_save(self) -> None:
        """Ask where to save the log as shown (the screen asks, then calls save_to)."""
        self.post_message(self.SaveRequested())

    def action_window(self) -> None:
        """Ask for another window of the past (the screen asks, then calls set_window)."""
        self.post_message(self.WindowRequested())

    def shown_text(self) -> str:
        """The log as shown, one line each, with timestamps if shown, without colours."""
        return self.log_lines.shown_text()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Post a failed worker up to the app (Textual's worker messages do not bubble)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))
