"""Provides the text of a pull's or push's progress (one bar per layer) and RedrawThrottle."""

from __future__ import annotations

from rich.text import Text

from tuibox.client.progress import LayerProgress, TransferProgress
from tuibox.widgets.format import human_size

BAR_WIDTH = 24
PHASE_WIDTH = 28
"""Wide enough for "Mounted from library/busybox" and most such names."""
REDRAW_INTERVAL = 0.25
"""At most 4 redraws a second: a pull sends ~10 lines a second per layer."""

PHASE_STYLES = {"Downloading": "cyan", "Pushing": "cyan", "Extracting": "magenta",
                "Verifying Checksum": "yellow", "Waiting": "dim", "Preparing": "dim"}  # fmt: skip


class RedrawThrottle:
    """Says when a redraw is due: the first time, then no more often than `interval` seconds."""

    def __init__(self, interval: float = REDRAW_INTERVAL) -> None:
        self.interval = interval
        self._last: float | None = None

    def due(self, now: float) -> bool:
        """Whether to redraw at `now` (seconds); True also records that it happened."""
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells, `fraction` (0 to 1) of them filled."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "━" * filled + "╌" * (width - filled)


def layer_line(layer: LayerProgress) -> Text:
    """One layer: ID, phase, bar, bytes and rate (the bytes once known, the rate while moving)."""
    phase = layer.phase if len(layer.phase) <= PHASE_WIDTH else layer.phase[:PHASE_WIDTH - 1] + "…"
    style = "green" if layer.done else PHASE_STYLES.get(layer.phase, "")
    line = Text.assemble((f"{layer.id}  ", "bold"), (f"{phase:<{PHASE_WIDTH}} ", style),
                         (bar(layer.fraction), "green" if layer.done else style or "blue"))
    if layer.total and not layer.done:
        line.append(f"  {human_size(layer.current):>7} / {human_size(layer.total):<7}")
        rate = layer.rate()
        if rate > 0:
            line.append(f"  {human_size(rate)}/s", "dim")
    elif layer.total:
        line.append(f"  {human_size(layer.total):>7}")
    return line


def transfer_text(progress: TransferProgress) -> Text:
    """The lines before the layers, a line per layer in the order they appeared, the lines
    after them."""
    text = Text()
    for line in progress.header:
        text.append(line + "\n")
    for layer in progress.layers.values():
        text.append_text(layer_line(layer))
        text.append("\n")
    for line in progress.footer:
        text.append(line + "\n", "dim" if line.startswith("Digest:") else "")
    text.rstrip()
    return text if text.plain else Text("Waiting for the engine…", "dim")
