"""Provides LogView: a Log that follows one container's output, batched for busy streams."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Self

from textual import on, work
from textual.widgets import Log
from textual.worker import Worker, WorkerState

from tuibox.client.errors import EngineError
from tuibox.client.models import ContainerSummary, LogChunk, LogStream
from tuibox.client.protocol import EngineClientProtocol
from tuibox.messages import ActionFailed, WorkerCrashed
from tuibox.widgets.format import terminal_safe

MAX_LOG_LINES = 10_000
"""Lines kept on screen (and waiting for the next flush); older ones are dropped."""
FLUSH_INTERVAL = 0.1
"""Seconds between writes to the log widget: at most 10 repaints a second, however busy."""
LOG_TAIL = 1000
"""Lines of past output asked for when following starts."""
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


class LogView(Log):
    """One container's logs, following from `follow()` until the widget is removed.

    The stream worker only collects lines (cleaned of terminal control sequences) into a
    bounded buffer and yields to the event loop after every chunk; a 0.1 s timer moves the
    buffer into the log with one write_lines call. So a flood of output costs at most ten
    repaints a second and keys are handled at once. Removing the widget cancels the worker,
    which closes the stream. A refused stream is posted up as ActionFailed.
    """

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
        super().__init__(max_lines=MAX_LOG_LINES, auto_scroll=True, id=id, classes=classes)
        self.client = client
        self.container = container
        self.following = False
        self._pending: deque[str] = deque(maxlen=MAX_LOG_LINES)

    def follow(self) -> None:
        """Start following and flushing ten times a second; later calls do nothing."""
        if self.following:
            return
        self.following = True
        self.set_interval(FLUSH_INTERVAL, self.flush_pending)
        self.follow_logs()

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_logs(self) -> None:
        """Stream the logs into the buffer; ends when the container stops or the view goes."""
        assembler = LineAssembler()
        try:
            async for chunk in self.client.logs(self.container.id, follow=True, tail=LOG_TAIL):
                self._collect(assembler.feed(chunk))
                await asyncio.sleep(0)
        except EngineError as err:
            self._collect(assembler.flush())
            self.flush_pending()
            self.post_message(ActionFailed("Logs failed", err))
            return
        self._collect(assembler.flush())
        self._pending.append(END_OF_STREAM)
        self.flush_pending()

    def _collect(self, lines: list[tuple[LogStream, str]]) -> None:
        # Log.write_lines drops empty strings; a space keeps blank lines visible.
        self._pending.extend(terminal_safe(line) or " " for _, line in lines)

    def flush_pending(self) -> None:
        """Write the buffered lines to the log in one batch."""
        if self._pending:
            batch = list(self._pending)
            self._pending.clear()
            self.write_lines(batch)

    def clear(self) -> Self:
        """Clear the view and drop what waits to be shown (the stream keeps following)."""
        self._pending.clear()
        return super().clear()

    @on(Worker.StateChanged)
    def forward_worker_failure(self, event: Worker.StateChanged) -> None:
        """Post a failed worker up to the app (Textual's worker messages do not bubble)."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkerCrashed(worker.name, worker.error))
