"""Provides HealthMonitor: runs each running container's healthcheck through exec.

As dockerd: the first probe comes one interval after the start (the start interval during
the start period), a probe that exits 0 makes the container healthy, `retries` failures in
a row make it unhealthy (failures in the start period do not count), a probe longer than
the timeout is killed and fails. The last five results are kept in State.Health.Log and a
`health_status: <status>` event is published on each change. A paused container is not
probed.
"""

from __future__ import annotations

import asyncio
import logging
import time

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.events import Event
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.execs import ContainerExecs
from tuibox.engine.services.containers.rules.health import SECOND_NS, HealthConfig, health_config

log = logging.getLogger(__name__)

LOG_ENTRIES = 5


class HealthMonitor:
    """One probe loop per running container with a healthcheck."""

    def __init__(self, context: ContainerContext, execs: ContainerExecs) -> None:
        self.context = context
        self.execs = execs
        self.loops: dict[str, asyncio.Task[None]] = {}
        self._follower: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Probe the running containers and follow starts and ends from now on."""
        for record in list(self.context.records.values()):
            if record.state.running:
                self.begin(record)
        queue = self.context.events.subscribe(
            lambda e: e.type == "container" and e.action in ("start", "die", "destroy"))
        self._follower = asyncio.get_running_loop().create_task(self._follow(queue))

    async def _follow(self, queue: asyncio.Queue[Event]) -> None:
        try:
            while True:
                event = await queue.get()
                record = self.context.records.get(event.actor_id)
                if event.action == "start" and record is not None:
                    self.begin(record)
                else:
                    self.end(event.actor_id)
        finally:
            self.context.events.unsubscribe(queue)

    async def stop(self) -> None:
        """Stop every loop (the engine is stopping; containers run on)."""
        tasks = [*self.loops.values(), *([self._follower] if self._follower else [])]
        for task in tasks:
            task.cancel()
        self.loops.clear()
        self._follower = None
        await asyncio.sleep(0)  # let them see the cancellation

    def begin(self, record: ContainerRecord) -> None:
        """Start probing a container that just started (nothing without a healthcheck)."""
        config = health_config(record.config.get("Healthcheck"), None)
        self.end(record.id)
        if config is None:
            return
        if record.state.health is None or record.state.health.get("Status") != "healthy":
            record.state.health = {"Status": "starting", "FailingStreak": 0, "Log": []}
            self.context.save(record)
        task = asyncio.get_running_loop().create_task(self._loop(record, config))
        self.loops[record.id] = task

    def end(self, container_id: str) -> None:
        task = self.loops.pop(container_id, None)
        if task is not None:
            task.cancel()

    async def _loop(self, record: ContainerRecord, config: HealthConfig) -> None:
        started = time.monotonic()
        while True:
            in_start = time.monotonic() - started < config.start_period_ns / SECOND_NS
            starting = (record.state.health or {}).get("Status") == "starting"
            wait = config.start_interval_ns if in_start and starting else config.interval_ns
            await asyncio.sleep(wait / SECOND_NS)
            if self.context.records.get(record.id) is not record or not record.state.running:
                return
            if record.state.status is Status.PAUSED:
                continue
            begun = timestamps.now()
            code, output = await self.execs.probe(record.id, list(config.test),
                                                  config.timeout_ns / SECOND_NS)  # fmt: skip
            if not record.state.running:
                return
            in_start = time.monotonic() - started < config.start_period_ns / SECOND_NS
            self._record(record, config, code, output, begun, in_start)

    def _record(self, record: ContainerRecord, config: HealthConfig, code: int, output: str,
                begun: str, in_start: bool) -> None:  # fmt: skip
        health = dict(record.state.health or {"Status": "starting", "FailingStreak": 0})
        before = health.get("Status")
        entries = list(health.get("Log") or [])
        entries.append({"Start": begun, "End": timestamps.now(), "ExitCode": code,
                        "Output": output})  # fmt: skip
        health["Log"] = entries[-LOG_ENTRIES:]
        if code == 0:
            health["Status"], health["FailingStreak"] = "healthy", 0
        elif not (in_start and before == "starting"):
            health["FailingStreak"] = int(health.get("FailingStreak") or 0) + 1
            if health["FailingStreak"] >= config.retries:
                health["Status"] = "unhealthy"
        record.state.health = health
        self.context.save(record)
        if health["Status"] != before:
            self.context.publish(record, f"health_status: {health['Status']}")
