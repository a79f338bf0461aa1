"""Provides TransferDialog: a pull's or push's progress, per layer, until it ends or Esc."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker

from tuibox.client.errors import EngineError
from tuibox.client.progress import ProgressEvent, TransferProgress
from tuibox.client.protocol import EngineClientProtocol
from tuibox.widgets.format import human_size
from tuibox.widgets.transfer_view import REDRAW_INTERVAL, RedrawThrottle, transfer_text

StreamFactory = Callable[[], AsyncIterator[ProgressEvent]]
State = Literal["running", "done", "failed", "cancelled"]

CANCELLED = {
    "Pull": "Pull cancelled: the stream is closed and the engine removes the layers it had "
            "not finished; nothing half-pulled is kept.",
    "Push": "Push cancelled: the stream is closed before the manifest, so the registry "
            "gets no new tag (layers already uploaded stay there, as with docker push).",
}  # fmt: skip
PAST = {"Pull": "Pulled", "Push": "Pushed"}
PRESENT = {"Pull": "Pulling", "Push": "Pushing"}


class TransferDialog(ModalScreen[bool]):
    """Streams a pull or push (`start` opens the stream when the dialog mounts) and draws it
    at most 4 times a second; Esc while it runs cancels it (closing the HTTP stream) and
    says so, Esc after it ended closes the dialog. Answers True when it succeeded."""

    DEFAULT_CSS = """
    TransferDialog { align: center middle; }
    #transfer-dialog {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    #transfer-title { text-style: bold; }
    #transfer-summary { color: $text-muted; margin-bottom: 1; }
    #transfer-body { height: auto; max-height: 24; }
    #transfer-outcome { margin-top: 1; }
    #transfer-outcome.-failed { color: $error; }
    #transfer-outcome.-cancelled { color: $warning; }
    #transfer-outcome.-done { color: $success; }
    #transfer-help { color: $text-muted; }
    """
    """The dialog's own styles (it is used from several panes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Cancel / close"),
    ]
    """Esc cancels a transfer in flight, or closes the dialog once it ended."""

    def __init__(self, verb: Literal["Pull", "Push"], reference: str, start: StreamFactory,
                 *, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        super().__init__()
        self.verb = verb
        self.reference = reference
        self.start = start
        self.clock = clock
        self.progress = TransferProgress()
        self.state: State = "running"
        self.redraws = 0
        """How many times the progress was drawn (the throttle's effect, for tests)."""
        self._throttle = RedrawThrottle()
        self._dirty = False
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        """Title, totals, the layers, the outcome and what Esc does."""
        with Vertical(id="transfer-dialog"):
            yield Static(f"{PRESENT[self.verb]} {self.reference}", id="transfer-title",
                         markup=False)  # fmt: skip
            yield Static("", id="transfer-summary", markup=False)
            with VerticalScroll(id="transfer-body"):
                yield Static(transfer_text(self.progress), id="transfer-layers")
            yield Static("", id="transfer-outcome", markup=False)
            yield Static(f"Esc cancels the {self.verb.lower()}.", id="transfer-help",
                         markup=False)  # fmt: skip

    def on_mount(self) -> None:
        """Open the stream, and flush what the throttle held back on a timer."""
        self._worker = self.run_worker(self._follow(), group="transfer", exit_on_error=False)
        self.set_interval(REDRAW_INTERVAL, self._flush)

    async def _follow(self) -> None:
        stream = self.start()
        try:
            async for event in stream:
                self.progress.apply(event, self.clock())
                if event.error:
                    break
                self._dirty = True
                if self._throttle.due(self.clock()):
                    self._draw()
        except EngineError as err:
            self.progress.error = err.message
        finally:
            close = getattr(stream, "aclose", None)  # an error line ends the stream: close it
            if close is not None:
                await close()
        self._finish("failed" if self.progress.error else "done")

    def _flush(self) -> None:
        """The timer's draw of what the throttle held back (through the throttle too, so
        the two never add up to more than its rate)."""
        if self._dirty and self._throttle.due(self.clock()):
            self._draw()

    def _draw(self) -> None:
        self._dirty = False
        self.redraws += 1
        self.query_one("#transfer-layers", Static).update(transfer_text(self.progress))
        self.query_one("#transfer-summary", Static).update(self._summary())

    def _summary(self) -> str:
        layers = self.progress.layers.values()
        if not layers:
            return ""
        done = sum(layer.done for layer in layers)
        known = [layer for layer in layers if layer.total]
        total = sum(layer.total for layer in known)
        moved = sum(layer.total if layer.done else layer.current for layer in known)
        size = f" · {human_size(moved)} of {human_size(total)}" if total else ""
        return f"{done} of {len(layers)} layer(s) done{size}"

    def _finish(self, state: State) -> None:
        self.state = state
        self._draw()
        title = self.query_one("#transfer-title", Static)
        outcome = self.query_one("#transfer-outcome", Static)
        outcome.set_class(True, f"-{state}")
        if state == "done":
            title.update(f"{PAST[self.verb]} {self.reference}")
            aux = self.progress.aux or {}
            outcome.update(f"Done: the registry has {aux['Tag']} at {aux['Digest']}."
                           if "Tag" in aux and "Digest" in aux else "Done.")  # fmt: skip
        elif state == "failed":
            title.update(f"{self.verb} of {self.reference} failed")
            outcome.update(f"{self.verb} failed: {self.progress.error}")
            self.notify(self.progress.error, title=f"{self.verb} failed", severity="error",
                        markup=False)  # fmt: skip
        else:
            title.update(f"{self.verb} of {self.reference} cancelled")
            outcome.update(CANCELLED[self.verb])
        self.query_one("#transfer-help", Static).update("Esc closes.")

    def action_cancel_or_close(self) -> None:
        """Cancel the transfer in flight (the worker's cancellation closes the stream), or
        close the dialog."""
        if self.state == "running":
            if self._worker is not None:
                self._worker.cancel()
            self._finish("cancelled")
            return
        self.dismiss(self.state == "done")


def pull_dialog(client: EngineClientProtocol, reference: str,
                platform: str | None = None) -> TransferDialog:  # fmt: skip
    """The dialog of a pull of `reference` (for `platform`, when given)."""
    return TransferDialog("Pull", reference, lambda: client.pull_image(reference, platform))


def push_dialog(client: EngineClientProtocol, reference: str) -> TransferDialog:
    """The dialog of a push of `reference`."""
    return TransferDialog("Push", reference, lambda: client.push_image(reference))
