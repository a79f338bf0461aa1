"""Provides EventFeed: `docker events` with Docker's filters, replaying recent events first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.events import Event, EventBus

SUPPORTED_FILTERS = {"type", "event", "container", "image", "label", "network"}
"""Filters of `docker events` this engine applies; values of one key OR, keys AND."""
DOCKER_FILTERS = {
    "config", "container", "daemon", "event", "image", "label", "network", "node",
    "plugin", "scope", "secret", "service", "type", "volume",
}  # fmt: skip


def check_event_filters(filters: dict[str, list[str]]) -> None:
    """Refuse filters Docker does not know, and those of objects this engine does not have.

    Raises:
        InvalidArgument: naming the filter.
    """
    for key in filters:
        if key not in DOCKER_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
        if key not in SUPPORTED_FILTERS:
            raise InvalidArgument(
                f"the events filter '{key}' is not supported by the tuibox engine yet"
            )


def event_matches(event: Event, filters: dict[str, list[str]]) -> bool:
    """Whether an event passes `docker events --filter` semantics."""
    attributes = event.attributes
    for key, values in filters.items():
        if not values:
            continue
        if key == "type" and event.type not in values:
            return False
        if key == "event" and event.action not in values:
            return False
        if key == "container" and not (
            event.type == "container" and any(_is_named(event, v) for v in values)
        ):
            return False
        if key == "network" and not (
            event.type == "network" and any(_is_named(event, v) for v in values)
        ):
            return False
        if key == "image" and not any(_is_image(event, v) for v in values):
            return False
        if key == "label" and not any(label_matches(attributes, v) for v in values):
            return False
    return True


def _is_named(event: Event, wanted: str) -> bool:
    """Docker's fuzzy match of a container or network: its ID or name starts with `wanted`."""
    return event.actor_id.startswith(wanted) or event.attributes.get("name", "").startswith(wanted)


def _is_image(event: Event, wanted: str) -> bool:
    """A container event of that image, or an image event about it (name or ID)."""
    if event.type == "image":
        return wanted in (event.actor_id, event.attributes.get("name"))
    return event.attributes.get("image") == wanted




class EventFeed:
    """Opens event streams on the engine's bus."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def open(
        self, filters: dict[str, list[str]], since_ns: int | None, until_ns: int | None
    ) -> EventStream:
        """Subscribe now, so nothing published from here on is missed.

        Args:
            filters: Docker's event filters.
            since_ns: Replay the recent events from this time on (ns since the epoch).
            until_ns: End the stream at this time (ns since the epoch); never without one.

        Raises:
            InvalidArgument: an unknown or unsupported filter.
        """
        check_event_filters(filters)
        return EventStream(self.bus, filters, since_ns, until_ns)


class EventStream:
    """One client's events: the recent ones since `since`, then live ones until `until`."""

    def __init__(
        self,
        bus: EventBus,
        filters: dict[str, list[str]],
        since_ns: int | None,
        until_ns: int | None,
    ) -> None:
        self.bus = bus
        self.filters = filters
        self.since_ns = since_ns
        self.until_ns = until_ns
        self.queue = bus.subscribe(lambda event: event_matches(event, filters))

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Docker's event objects, ending at `until` (never, without one)."""
        replayed: set[int] = set()
        since_ns, until_ns = self.since_ns, self.until_ns
        if since_ns is not None:
            for event in list(self.bus.recent):
                after = event.time_ns >= since_ns
                before = until_ns is None or event.time_ns <= until_ns
                if after and before and event_matches(event, self.filters):
                    replayed.add(id(event))
                    yield event.to_docker()
        while True:
            remaining = None if until_ns is None else (until_ns - time.time_ns()) / 1e9
            if remaining is not None and remaining <= 0:
                return
            try:
                event = await asyncio.wait_for(self.queue.get(), remaining)
            except TimeoutError:
                return
            if id(event) not in replayed:
                yield event.to_docker()

    def close(self) -> None:
        self.bus.unsubscribe(self.queue)
