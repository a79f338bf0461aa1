"""Provides StatsFeed: the TUI's one source of resource figures, shared by every screen.

Against tuibox's engine it holds one connection, the batched stream, with the last minute
of history on connect. Against another engine (dockerd, podman) it opens Docker's
per-container stats stream for the containers the screens say are visible, and only while
they are. Either way subscribers get a StatsBatch a second and read the recent samples.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from tuibox.client.errors import EngineError, NotFoundError
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.stats_models import HostStats, StatsBatch, StatsHistory, StatsSample

RECENT_SECONDS = 60
"""Samples kept per container for the list's trend and the overview (history comes on
connect, so a trend is full the moment the screen opens)."""
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0)
Subscriber = Callable[[StatsBatch], None]


@dataclass
class StatsFeed:
    """Figures for the TUI: the latest batch, the last minute per container, subscribers.

    Lifecycle: the app runs `run()` in a worker for as long as it lives; screens call
    `subscribe` when mounted (and the returned function when unmounted), and `watch` with
    the containers they show, which matters only for engines without a batched stream.
    A subscriber is told each time figures arrive and reads `latest`, `recent` and `host`
    (a batch from another engine's per-container stream carries no containers itself).
    """

    client: EngineClientProtocol
    clock: Callable[[], float]
    recent: dict[str, deque[StatsSample]] = field(default_factory=dict)
    host: HostStats | None = None
    batched: bool | None = None
    """True on tuibox's engine, False on others, None until known."""
    _subscribers: list[Subscriber] = field(default_factory=list)
    _watched: set[str] = field(default_factory=set)
    _streams: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every batch; returns the function that stops it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def latest(self, container_id: str) -> StatsSample | None:
        """The container's newest sample, None when it has none."""
        samples = self.recent.get(container_id)
        return samples[-1] if samples else None

    def watch(self, container_ids: set[str]) -> None:
        """Say which containers are visible (per-container streams follow on other engines)."""
        self._watched = set(container_ids)
        if self.batched is False:
            self._follow_watched()

    async def run(self) -> None:
        """Keep the feed flowing until cancelled, reconnecting with backoff."""
        attempt = 0
        while True:
            try:
                await self._batched_stream()
                attempt = 0
                await asyncio.sleep(RETRY_SECONDS[0])  # the engine ended the stream: reconnect
            except NotFoundError:
                self.batched = False
                self._follow_watched()
                await asyncio.Event().wait()  # per-container streams from now on
            except EngineError:
                await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                attempt += 1

    async def _batched_stream(self) -> None:
        since = self.clock() - RECENT_SECONDS
        async for event in self.client.stats_stream(since):
            self.batched = True
            if event.history is not None:
                self._load(event.history)
            if event.batch is not None:
                self._deliver(event.batch)

    def _load(self, history: StatsHistory) -> None:
        for container_id, samples in history.containers.items():
            ring = self._ring(container_id)
            ring.clear()
            ring.extend(samples)
        if history.host:
            self.host = history.host[-1]

    def _ring(self, container_id: str) -> deque[StatsSample]:
        return self.recent.setdefault(container_id, deque(maxlen=RECENT_SECONDS))

    def _deliver(self, batch: StatsBatch) -> None:
        self.host = batch.host
        for container_id, sample in batch.containers.items():
            self._ring(container_id).append(sample)
        if self.batched:
            for container_id in [c for c in self.recent if c not in batch.containers]:
                if container_id not in self._watched:
                    del self.recent[container_id]  # ended and not on screen: nothing to show
        for subscriber in list(self._subscribers):
            subscriber(batch)

    def _follow_watched(self) -> None:
        """Other engines: one Docker stats stream per visible container, none for the rest."""
        for container_id in list(self._streams):
            if container_id not in self._watched:
                self._streams.pop(container_id).cancel()
        for container_id in self._watched - set(self._streams):
            task = asyncio.get_running_loop().create_task(self._follow(container_id))
            self._streams[container_id] = task

    async def _follow(self, container_id: str) -> None:
        with contextlib.suppress(EngineError):
            async for sample in self.client.container_stats(container_id):
                self._ring(container_id).append(sample)
                self._deliver(StatsBatch(sample.time, self.host or _NO_HOST, {}))
        self._streams.pop(container_id, None)


_NO_HOST = HostStats(0.0, 0.0, 1, 0, 0, (0.0, 0.0, 0.0), 0, 0)
