"""Provides ProgressEvent and TransferProgress: Docker's pull/push JSON stream, read and summed."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RATE_WINDOW = 3.0
"""Seconds of samples a layer's transfer rate is averaged over."""

DONE_PHASES = frozenset({"Pull complete", "Already exists", "Pushed", "Layer already exists",
                         "Mounted from", "Download complete"})  # fmt: skip
"""Phases after which a layer moves no more bytes (its bar shows full)."""


@dataclass(frozen=True)
class ProgressEvent:
    """One line of a pull or push stream: a layer's phase, a general status, an error or aux.

    Attributes:
        status: Docker's status text ("Downloading", "Pulling from library/busybox", ...).
        id: The layer's short ID (or the tag on the first line); "" for general lines.
        current: Bytes done, when the line carries progressDetail.
        total: Bytes in all, when known.
        error: The engine's error sentence; the stream ends after it.
        aux: The push's final {"Tag", "Digest", "Size"}, when this is that line.
    """

    status: str = ""
    id: str = ""
    current: int | None = None
    total: int | None = None
    error: str = ""
    aux: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ProgressEvent:
        """Read one decoded line (unknown fields are kept out, never an error)."""
        detail = raw.get("progressDetail")
        current = total = None
        if isinstance(detail, Mapping):
            current, total = _count(detail.get("current")), _count(detail.get("total"))
        error = raw.get("errorDetail")
        message = error.get("message") if isinstance(error, Mapping) else None
        aux = raw.get("aux")
        return cls(
            status=str(raw.get("status") or ""),
            id=str(raw.get("id") or ""),
            current=current,
            total=total,
            error=str(message or raw.get("error") or ""),
            aux=aux if isinstance(aux, Mapping) else None,
        )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class LayerProgress:
    """Where one layer stands: its phase, bytes and recent samples for the rate."""

    id: str
    phase: str = ""
    current: int = 0
    total: int = 0
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    @property
    def done(self) -> bool:
        """Whether the layer is complete (pulled, pushed, already there)."""
        return self.phase.startswith(tuple(DONE_PHASES))

    @property
    def fraction(self) -> float:
        """How far the layer's current phase is, 0 to 1 (1 once done)."""
        if self.done:
            return 1.0
        if self.total <= 0:
            return 0.0
        return min(1.0, self.current / self.total)

    def rate(self) -> float:
        """Bytes a second over the last RATE_WINDOW seconds of this phase; 0 without two
        samples."""
        if len(self.samples) < 2 or self.done:
            return 0.0
        (start, first), (end, last) = self.samples[0], self.samples[-1]
        return (last - first) / (end - start) if end > start else 0.0

    def apply(self, event: ProgressEvent, now: float) -> None:
        """Take a new line about this layer (a new phase restarts the rate)."""
        if event.status != self.phase:
            self.samples.clear()
            self.phase = event.status
            self.current = 0
        if event.total:
            self.total = event.total
        if event.current is not None:
            self.current = event.current
            self.samples.append((now, event.current))
            while len(self.samples) > 2 and now - self.samples[0][0] > RATE_WINDOW:
                self.samples.popleft()


LAYER_ID_LENGTH = 12
"""Docker's short layer IDs (the first 12 hex digits of the digest)."""


def _is_layer_line(event: ProgressEvent) -> bool:
    """Whether the line is about one layer (not the tag line "Pulling from ...")."""
    return (len(event.id) == LAYER_ID_LENGTH and all(c in "0123456789abcdef" for c in event.id)
            and not event.status.startswith(("Pulling from", "The push refers")))  # fmt: skip


@dataclass
class TransferProgress:
    """A pull's or push's state, built from its stream one event at a time (pure: the dialog
    draws it)."""

    layers: dict[str, LayerProgress] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    """The general status lines before the first layer's ("latest: Pulling from ...")."""
    footer: list[str] = field(default_factory=list)
    """Those after it ("Digest: ...", "Status: ...", "latest: digest: ... size: ...")."""
    error: str = ""
    aux: Mapping[str, Any] | None = None
    events: int = 0

    def apply(self, event: ProgressEvent, now: float) -> None:
        """Take one event of the stream, `now` in seconds (for the rates)."""
        self.events += 1
        if event.error:
            self.error = event.error
        elif event.aux is not None:
            self.aux = event.aux
        elif _is_layer_line(event):
            layer = self.layers.get(event.id)
            if layer is None:
                layer = self.layers[event.id] = LayerProgress(event.id)
            layer.apply(event, now)
        elif event.status:
            text = f"{event.id}: {event.status}" if event.id else event.status
            (self.footer if self.layers else self.header).append(text)

    @property
    def complete_layers(self) -> int:
        """How many layers are done."""
        return sum(layer.done for layer in self.layers.values())
