"""In-process event bus: container and image events for /events and for waiters."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

BUFFERED_EVENTS = 256
SUBSCRIBER_QUEUE_LIMIT = 10_000


@dataclass(frozen=True)
class Event:
    """One Docker event; `exit_code` rides along for waiters on die and destroy."""

    type: str
    action: str
    actor_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    time_ns: int = field(default_factory=time.time_ns)
    exit_code: int | None = None

    def to_docker(self) -> dict[str, Any]:
        """The JSON object of Docker's /events stream."""
        message: dict[str, Any] = {
            "Type": self.type,
            "Action": self.action,
            "Actor": {"ID": self.actor_id, "Attributes": dict(self.attributes)},
            "scope": "local",
            "time": self.time_ns // 1_000_000_000,
            "timeNano": self.time_ns,
        }
        if self.type in ("container", "image"):
            message.update(
                status=self.action, id=self.actor_id, **{"from": self.attributes.get("image", "")}
            )
        return message


EventFilter = Callable[[Event], bool]


class EventBus:
    """Fans events out to subscribers' queues and keeps the last few for `since` replays."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[EventFilter, asyncio.Queue[Event]]] = []
        self.recent: deque[Event] = deque(maxlen=BUFFERED_EVENTS)

    def publish(self, event: Event) -> None:
        self.recent.append(event)
        for accepts, queue in list(self._subscribers):
            if accepts(event):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("an events reader is %d events behind; dropping", queue.qsize())

    def subscribe(self, accepts: EventFilter) -> asyncio.Queue[Event]:
        """Start queueing matching events now; call `unsubscribe` when done."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE_LIMIT)
        self._subscribers.append((accepts, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers = [(f, q) for f, q in self._subscribers if q is not queue]


def container_event(container_id: str, actions: set[str]) -> EventFilter:
    """A filter for some actions of one container."""
    return lambda e: e.type == "container" and e.actor_id == container_id and e.action in actions
