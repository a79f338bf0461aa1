"""Harness for the container services on fakes: real services and routes, no root needed.

The services are built by the engine's own composition root with a FakeRuntime, a
FakeMounter and a MemoryContainerStore; images come from an in-memory registry through
the real ImageService. `crash` stops the engine's watchers as a killed engine process
would, and `restart` then builds a new set of services on the same fakes, as an engine
restarted after a crash finds its containers.

The blocking work the services hand to `asyncio.to_thread` (mounts, bundle files, file
removal) runs on the loop's thread through an InlineExecutor: each call still yields to
the loop as it would while a thread works, but it is done one loop turn later, so
`settle` can tell when everything that is due has run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.fakes.host import LIMITS
from tests.fakes.metrics import FakeContainer, FakeMetrics
from tests.fakes.mounts import FakeMounter
from tests.fakes.network import FakeNetworkDriver
from tests.fakes.runtime import FakeRuntime
from tests.fakes.stores import MemoryContainerStore
from tests.unit.fake_registry import FakeRegistry, Network, build_image
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.host import HostFacts
from tuibox.engine.events import Event
from tuibox.engine.server import Seams, Services, build_app, compose
from tuibox.engine.services.containers.context import ContainerContext

MIRROR = "http://mirror:5000"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
GROUP = b"root:x:0:\napp:x:1000:\nwheel:x:10:app\n"
BUSYBOX = build_image(
    [{"bin/busybox": b"\x7fELF", "etc/passwd": PASSWD, "etc/group": GROUP}],
    cmd=["sh"],
)
SAMPLE_SECONDS = 0.05
"""The stats sampler's interval under the api fixture: streams tick quickly in tests."""
FACTS = HostFacts("crun", "conmon", 1024, "v1", "1.8.1", "2.1.6", limits=LIMITS)
SETTLE_ROUNDS = 2000
"""At most this many loop turns in one settle(); it ends sooner once the loop is idle."""
QUIET_ROUNDS = 3
EVENT_TIMEOUT_S = 5.0

P = ParamSpec("P")
T = TypeVar("T")


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs each job at once, on the calling (the loop's) thread.

    `asyncio.to_thread` still hands back a future that resolves on a later loop turn,
    so the caller yields as before; no job is left running behind the test's back.
    """

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


@dataclass
class Engine:
    """One engine's services on fakes, with helpers to create and run containers."""

    services: Services
    runtime: FakeRuntime
    mounter: FakeMounter
    store: MemoryContainerStore
    config: EngineConfig
    seams: Seams
    seen: asyncio.Queue[Event] = field(init=False)
    events: list[Event] = field(default_factory=list)
    crashed: bool = False
    successor: Engine | None = None
    """The engine `restart` built on the same fakes, if any."""

    def __post_init__(self) -> None:
        self.seen = self.context.events.subscribe(lambda _event: True)

    @property
    def context(self) -> ContainerContext:
        return self.services.containers.context

    @property
    def network(self) -> FakeNetworkDriver:
        """The fake kernel side of networking: bridges, veths, port rules, calls."""
        assert isinstance(self.seams.network, FakeNetworkDriver)
        return self.seams.network

    @property
    def metrics(self) -> FakeMetrics:
        """The fake /proc and cgroup files the stats sampler reads."""
        assert isinstance(self.seams.metrics, FakeMetrics)
        return self.seams.metrics

    def figures(self, container_id: str, **counters: Any) -> FakeContainer:
        """Give a container fake cgroup figures (CPU per tick, memory...) to be sampled."""
        fake = FakeContainer(**counters)
        self.metrics.containers[self.record(container_id).cgroup_path] = fake
        return fake

    async def create(self, *cmd: str, name: str | None = None, **fields: Any) -> str:
        """Create a busybox container running `cmd` (the image's sh when empty)."""
        body: dict[str, Any] = {"Image": "busybox", **fields}
        if cmd:
            body["Cmd"] = list(cmd)
        created = await self.services.containers.creation.create(body, name)
        return str(created["Id"])

    async def run(self, *cmd: str, name: str | None = None, **fields: Any) -> str:
        """Create and start a container; returns its ID."""
        container_id = await self.create(*cmd, name=name, **fields)
        await self.services.containers.lifecycle.start(container_id)
        await self.settle()
        return container_id

    def record(self, container_id: str) -> ContainerRecord:
        return self.context.records[container_id]

    async def settle(self) -> None:
        """Let watchers and auto-removals that are due run to their end.

        Turns the loop until nothing is due any more (CPython's queue of ready callbacks
        stays empty for a few turns); what waits on a timer or a live run stays waiting.
        """
        ready = getattr(asyncio.get_running_loop(), "_ready", None)
        quiet = 0
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(0)
            if ready is None:
                continue
            quiet = 0 if ready else quiet + 1
            if quiet >= QUIET_ROUNDS:
                return

    def _drain(self) -> None:
        while not self.seen.empty():
            self.events.append(self.seen.get_nowait())

    def actions(self, container_id: str) -> list[str]:
        """The actions of the container's events so far, in order."""
        return [e.action for e in self.events_of(container_id)]

    def events_of(self, container_id: str, action: str | None = None) -> list[Event]:
        """The container's events so far (only those of `action` if given), in order."""
        self._drain()
        return [
            e
            for e in self.events
            if e.actor_id == container_id and (action is None or e.action == action)
        ]

    async def wait_for(self, container_id: str, action: str) -> Event:
        """The container's first event of `action`, waiting for it if it has not come yet."""
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            while True:
                found = self.events_of(container_id, action)
                if found:
                    return found[0]
                self.events.append(await self.seen.get())

    async def crash(self) -> None:
        """Stop as a SIGKILLed engine: its watchers end, the runs go on under the fakes."""
        if self.crashed:
            return
        self.crashed = True
        await self.services.containers.health.stop()
        for task in list(self.context.watchers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.services.images.aclose()

    async def restart(self) -> Engine:
        """Crash (unless done already), then recover with new services on the same fakes."""
        await self.crash()
        restarted = new_engine(self.config, self.seams)
        self.successor = restarted
        await restarted.services.containers.start_up()
        await restarted.settle()
        return restarted


def new_engine(config: EngineConfig, seams: Seams) -> Engine:
    services = compose(config, FACTS, seams)
    assert isinstance(seams.runtime, FakeRuntime)
    assert isinstance(seams.mounter, FakeMounter)
    assert isinstance(seams.container_store, MemoryContainerStore)
    return Engine(services, seams.runtime, seams.mounter, seams.container_store, config, seams)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    """Services on fakes with busybox pulled from the in-memory mirror."""
    asyncio.get_running_loop().set_default_executor(InlineExecutor())
    registry = FakeRegistry()
    registry.add("library/busybox", "latest", BUSYBOX)
    config = EngineConfig(
        socket=tmp_path / "engine.sock",
        data_root=tmp_path / "data",
        exec_root=tmp_path / "run",
        registry_mirrors=(MIRROR,),
        cgroup_parent="/tuibox-test",
    )
    seams = Seams(
        FakeRuntime(),
        FakeMounter(),
        MemoryContainerStore(tmp_path / "containers"),
        Network({"mirror:5000": registry}).transport(),
        metrics=FakeMetrics(),
        network=FakeNetworkDriver(),
    )
    running = new_engine(config, seams)
    async for _ in running.services.images.pull("busybox", "latest", None):
        pass
    yield running
    engine: Engine | None = running
    while engine is not None:
        await engine.crash()
        engine = engine.successor


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[TestClient[Any, Any]]:
    """The engine's real routes over the harness's services, through aiohttp's test client."""
    engine.services.stats.sampler.interval = SAMPLE_SECONDS
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(engine.services)))
    await client.start_server()
    yield client
    await client.close()


def assert_gone(engine: Engine, container_id: str) -> None:
    """Nothing of the container is left: record, saved record, directory, run, mount."""
    paths = engine.context.paths(container_id)
    assert container_id not in engine.context.records
    assert container_id not in engine.store.saved
    assert not paths.base.exists()
    assert not engine.mounter.is_mounted(paths.rootfs)
    assert not engine.runtime.has_state(container_id)
    assert container_id not in engine.runtime.runs
