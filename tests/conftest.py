"""Shared test fixtures: FakeEngineClient, frozen clock, no cursor blink, snapshot location."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot
from syrupy.location import PyTestLocation

from tests.fake_image_details import FakeImageDetailCalls
from tests.fake_registry import FakeRegistryCalls
from tuibox.app import TuiboxApp
from tuibox.client.details import ProcessList
from tuibox.client.errors import (
    ConflictError,
    EngineUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from tuibox.client.models import (
    ContainerStartResult,
    ContainerStopResult,
    ContainerSummary,
    EngineInfo,
    ImageSummary,
    IndexConfig,
    LogChunk,
    PingInfo,
    PortSummary,
    RegistryConfig,
    VersionInfo,
    VolumeSummary,
)
from tuibox.client.networks import (
    IPAMPool,
    NetworkCreated,
    NetworkEndpoint,
    NetworkSummary,
)
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.run_options import RunOptions
from tuibox.client.stats_models import (
    HostStats,
    StatsBatch,
    StatsEvent,
    StatsHistory,
    StatsSample,
)
from tuibox.timestamps import format_ns, format_unix

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "snapshots"
FROZEN_NOW = 1_750_000_000.0
"""The fixed "now" of every TUI test: 2025-06-15T15:06:40Z."""


class RootSnapshotsSVG(pytest_textual_snapshot.SVGImageExtension):
    """Store SVG snapshots under <repo>/snapshots/<test module>/."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """The snapshot folder of the test module at `test_location`."""
        return str(SNAPSHOT_DIR / test_location.basename)


@pytest.fixture(autouse=True)
def snapshots_under_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make snap_compare store its SVGs under <repo>/snapshots/.

    snap_compare looks the extension class up in its module when it is set up, which is
    after the autouse fixtures.
    """
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", RootSnapshotsSVG)


def sample_containers() -> list[ContainerSummary]:
    """Three containers in three states, with fixed IDs and creation times."""
    return [
        ContainerSummary(
            id="a1" * 32, names=("/web",), image="busybox:latest", image_id="sha256:" + "b" * 64,
            command="httpd -f", created=int(FROZEN_NOW - 120), state="running",
            status="Up 2 minutes",
            ports=(PortSummary(80, "tcp", "0.0.0.0", 8080), PortSummary(80, "tcp", "::", 8080)),
            networks=("bridge", "front"),
        ),
        ContainerSummary(
            id="c3" * 32, names=("/hello",), image="hello-world", image_id="sha256:" + "d" * 64,
            command="/hello", created=int(FROZEN_NOW - 3 * 3600), state="exited",
            status="Exited (0) 3 hours ago",
        ),
        ContainerSummary(
            id="e5" * 32, names=("/db",), image="busybox:latest", image_id="sha256:" + "b" * 64,
            command="sleep 300", created=int(FROZEN_NOW - 2 * 86400), state="created",
            status="Created", ports=(PortSummary(5432),), networks=("back",),
        ),
    ]


def sample_images() -> list[ImageSummary]:
    """Two tagged images (one with two tags) and a dangling one."""
    return [
        ImageSummary(
            id="sha256:" + "b" * 64, repo_tags=("busybox:latest", "busybox:1.35"),
            repo_digests=(), created=int(FROZEN_NOW - 10 * 86400), size=4_270_000, containers=2,
        ),
        ImageSummary(
            id="sha256:" + "d" * 64, repo_tags=("hello-world:latest",), repo_digests=(),
            created=int(FROZEN_NOW - 40 * 86400), size=13_256, containers=1,
        ),
        ImageSummary(
            id="sha256:" + "f" * 64, repo_tags=(), repo_digests=(),
            created=int(FROZEN_NOW - 400 * 86400), size=1_234_567_890, containers=0,
        ),
    ]


def sample_volumes() -> list[VolumeSummary]:
    """A named volume in use, a named one unused, and an unused anonymous one."""
    anonymous = (("com.docker.volume.anonymous", ""),)
    return [
        VolumeSummary("pgdata", "local", "/var/lib/tuibox/volumes/pgdata/_data",
                      format_unix(FROZEN_NOW - 12 * 86400), (("app", "db"),), in_use=True),
        VolumeSummary("cache", "local", "/var/lib/tuibox/volumes/cache/_data",
                      format_unix(FROZEN_NOW - 3 * 86400), in_use=False),
        VolumeSummary("9e" * 32, "local", f"/var/lib/tuibox/volumes/{'9e' * 32}/_data",
                      format_unix(FROZEN_NOW - 5400), anonymous, in_use=False),
    ]  # fmt: skip


FRONT_ID = "7f" * 32
"""The sample user network with a container on it."""


def sample_networks() -> list[NetworkSummary]:
    """The three predefined networks and two user ones: front (web on it), back (unused)."""
    web = NetworkEndpoint("a1" * 32, "web", "e1" * 32, "02:42:0a:05:00:02", "10.5.0.2/24")
    created = format_unix(FROZEN_NOW - 86400)
    return [
        NetworkSummary("b0" * 32, "bridge", "bridge", created=created,
                       pools=(IPAMPool("172.17.0.0/16", "172.17.0.1"),),
                       containers=(replace(web, ipv4_address="172.17.0.2/16"),)),
        NetworkSummary("c0" * 32, "host", "host", created=created),
        NetworkSummary("d0" * 32, "none", "null", created=created),
        NetworkSummary(FRONT_ID, "front", "bridge", created=created,
                       pools=(IPAMPool("10.5.0.0/24", "10.5.0.1"),), labels=(("app", "shop"),),
                       containers=(web,)),
        NetworkSummary("8e" * 32, "back", "bridge", created=created, internal=True,
                       pools=(IPAMPool("172.19.0.0/16", "172.19.0.1"),)),
    ]  # fmt: skip


def sample_network_settings() -> dict[str, Any]:
    """Inspect's NetworkSettings of web: on bridge and front, 80/tcp published on 8080."""
    endpoint = {"IPAMConfig": None, "Links": None, "DriverOpts": None, "GwPriority": 0,
                "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0}
    return {
        "HostConfig": {"NetworkMode": "front"},
        "NetworkSettings": {
            "SandboxKey": "/run/tuibox/netns/a1a1a1a1a1a1",
            "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                 {"HostIp": "::", "HostPort": "8080"}], "443/tcp": None},
            "Networks": {
                "front": {**endpoint, "Aliases": ["shop-web"], "MacAddress": "02:42:0a:05:00:02",
                          "NetworkID": FRONT_ID, "EndpointID": "e1" * 32,
                          "Gateway": "10.5.0.1", "IPAddress": "10.5.0.2", "IPPrefixLen": 24,
                          "DNSNames": ["web", "a1a1a1a1a1a1", "shop-web"]},
                "bridge": {**endpoint, "Aliases": None, "MacAddress": "02:42:ac:11:00:02",
                           "NetworkID": "b0" * 32, "EndpointID": "e2" * 32,
                           "Gateway": "172.17.0.1", "IPAddress": "172.17.0.2",
                           "IPPrefixLen": 16, "DNSNames": None},
            },
        },
    }  # fmt: skip


def sample_info() -> EngineInfo:
    """An engine with one Docker Hub mirror, one insecure registry and loopback insecure."""
    return EngineInfo(
        name="tuibox-host", server_version="0.1.0", operating_system="Debian GNU/Linux 12",
        containers=3, containers_running=1, images=3,
        registry=RegistryConfig(
            mirrors=("http://127.0.0.1:5000",),
            insecure_registry_cidrs=("127.0.0.0/8",),
            index_configs=(
                IndexConfig("docker.io", ("http://127.0.0.1:5000",), True, True),
                IndexConfig("registry.local:5000", (), False, False),
            ),
        ),
        warnings=(),
    )


RUNNING_ID = "a1" * 32
"""The running sample container, the one the scripted stats describe."""
GIB = 1024**3


def scripted_sample(t: int, time: float) -> StatsSample:
    """A deterministic sample of the running container `t` seconds into the script."""
    wave = (t * 37) % 100
    return StatsSample(
        time=time, cpu_percent=float(wave if wave < 60 else 120 - wave),
        memory_used=(64 + (t % 30)) * 1024**2, memory_limit=512 * 1024**2,
        net_rx=t * 150_000, net_tx=t * 40_000, blk_read=t * 1_000_000, blk_write=t * 250_000,
        pids=3 + t % 4, pids_limit=64,
    )  # fmt: skip


def scripted_history(seconds: int = 900) -> dict[str, list[StatsSample]]:
    """15 minutes of the running container's history, ending at the frozen clock."""
    start = FROZEN_NOW - seconds
    return {RUNNING_ID: [scripted_sample(t, start + t) for t in range(1, seconds + 1)]}


def scripted_host(time: float) -> HostStats:
    return HostStats(time=time, cpu_percent=23.5, cpus=2, memory_used=5 * GIB,
                     memory_total=24 * GIB, load=(0.42, 0.35, 0.30), containers_running=1,
                     containers=3)  # fmt: skip


def scripted_stats_events() -> list[StatsEvent]:
    """What the fake's batched stream sends: the last 60 s, then one batch at the clock."""
    recent = scripted_history(60)
    history = StatsHistory(interval=1.0, containers=recent,
                           host=[scripted_host(s.time) for s in recent[RUNNING_ID]])  # fmt: skip
    batch = StatsBatch(time=FROZEN_NOW, host=scripted_host(FROZEN_NOW),
                       containers={RUNNING_ID: scripted_sample(901, FROZEN_NOW)})  # fmt: skip
    return [StatsEvent(history=history), StatsEvent(batch=batch)]


def sample_processes() -> ProcessList:
    """What `docker top` (ps -ef) shows for the running sample container."""
    titles = ("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")
    return ProcessList(titles, (
        ("root", "4242", "4230", "0", "15:04", "?", "00:00:00", "httpd -f -p 8080"),
        ("nobody", "4250", "4242", "1", "15:05", "?", "00:00:02", "httpd -f -p 8080"),
        ("root", "4301", "4242", "0", "15:06", "pts/0", "00:00:00", "sh -c tail -f /var/log/app"),
    ))  # fmt: skip


def sample_details() -> dict[str, Any]:
    """Inspect parts of a container with secrets in its env, three mounts, a failing check."""
    probe = "2025-06-15T15:06:{:02d}.000000000Z"
    return {
        "Config": {
            "Image": "busybox:latest",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "POSTGRES_PASSWORD=hunter2", "API_TOKEN=tok-123", "LANG=C.UTF-8",
                    "aws_secret_access_key=AKIA/xyz", "EMPTY=", "FLAG"],
            "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O- localhost:8080/health"]},
        },
        "State": {"Status": "running", "Running": True, "Health": {
            "Status": "unhealthy", "FailingStreak": 3, "Log": [
                {"Start": probe.format(10), "End": probe.format(11), "ExitCode": 0,
                 "Output": "ok\n"},
                {"Start": probe.format(20), "End": probe.format(21), "ExitCode": 1,
                 "Output": "wget: server returned error: HTTP/1.1 503\n"},
                {"Start": probe.format(30), "End": probe.format(31), "ExitCode": 1,
                 "Output": "wget: can't connect to remote host: Connection refused\n"},
            ]}},
        "Mounts": [
            {"Type": "volume", "Name": "pgdata", "Source": "/var/lib/tuibox/volumes/pgdata/_data",
             "Destination": "/var/lib/postgresql/data", "Driver": "local", "Mode": "z",
             "RW": True, "Propagation": ""},
            {"Type": "bind", "Source": "/srv/site", "Destination": "/www", "Mode": "ro",
             "RW": False, "Propagation": "rprivate"},
            {"Type": "tmpfs", "Source": "", "Destination": "/run", "Mode": "", "RW": True,
             "Propagation": ""},
        ],
    }  # fmt: skip


class FakeBridge:
    """A fake terminal bridge: records that it ran, and on which descriptors."""

    def __init__(self, exec_id: str, banner: str = "") -> None:
        self.exec_id = exec_id
        """The exec's ID, or the container's for an attach."""
        self.banner = banner
        self.runs: list[tuple[int, int]] = []

    def run(self, stdin_fd: int, stdout_fd: int) -> None:
        self.runs.append((stdin_fd, stdout_fd))


class FakeEngineClient(FakeRegistryCalls, FakeImageDetailCalls):
    """An in-memory engine for TUI tests; records calls and raises scripted errors.

    It implements EngineClientProtocol structurally; make_app hands it to TuiboxApp as one,
    so mypy checks every method against the protocol.

    `fail[method] = error` makes that method raise `error` until removed; `unavailable`
    makes every call raise EngineUnavailableError (a lost engine); `delays[method] = s`
    makes that method answer after `s` seconds (a slow engine); `log_source`, when set,
    produces the log stream instead of `log_chunks`.
    """

    def __init__(self) -> None:
        self.containers = sample_containers()
        self.images = sample_images()
        self.volumes = sample_volumes()
        self.networks = sample_networks()
        self.engine_info = sample_info()
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.fail: dict[str, Exception] = {}
        self.fail_for: dict[tuple[str, str], Exception] = {}
        """(method, container ID) -> what that call raises, for one container only."""
        self.unavailable = False
        self.log_chunks: list[LogChunk] = []
        self.log_release = asyncio.Event()
        self.log_source: Callable[[], AsyncIterator[LogChunk]] | None = None
        self.delays: dict[str, float] = {}
        self.completed: list[tuple[str, tuple[object, ...]]] = []
        self.runs = 0
        self.closed = False
        self.exec_codes: dict[str, int] = {}
        self.has_bash = False
        """Whether the fake containers have bash (the shell key then asks which to run)."""
        self.shell_exit = 0
        self.bridges: list[FakeBridge] = []
        self.cpu_limits: dict[str, float] = {}
        """The cores each container's CPU limit allows (none: no limit)."""
        self.stats_events: list[StatsEvent] = scripted_stats_events()
        self.stats_release = asyncio.Event()
        self.stats_history_by_id: dict[str, list[StatsSample]] = scripted_history()
        self.processes: dict[str, ProcessList] = {RUNNING_ID: sample_processes()}
        """What top answers per running container (others: an empty list)."""
        self.inspect_extra: dict[str, dict[str, Any]] = {}
        """Parts merged into a container's inspect document (one level deep)."""
        self.init_registry_calls()
        self.init_image_detail_calls()

    async def _answer(self, method: str, *args: object) -> None:
        """Record the call, take the scripted time, then raise any scripted failure."""
        self.calls.append((method, args))
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        if self.unavailable:
            raise EngineUnavailableError("cannot reach the engine at unix:///fake.sock")
        if method in self.fail:
            raise self.fail[method]
        if args and (method, str(args[0])) in self.fail_for:
            raise self.fail_for[(method, str(args[0]))]

    def _done(self, method: str, *args: object) -> None:
        self.completed.append((method, args))

    def called(self, method: str) -> list[tuple[object, ...]]:
        """The arguments of every call to `method`."""
        return [args for name, args in self.calls if name == method]

    def _container(self, container_id: str) -> ContainerSummary:
        for container in self.containers:
            if container.id == container_id:
                return container
        raise NotFoundError(f"No such container: {container_id}", 404)

    def _set_state(self, container_id: str, state: str, status: str) -> None:
        self.containers = [
            replace(c, state=state, status=status) if c.id == container_id else c
            for c in self.containers
        ]

    async def ping(self) -> PingInfo:
        await self._answer("ping")
        return PingInfo("1.44", "linux", "tuibox/0.1.0 (linux)", False, None)

    async def version(self) -> VersionInfo:
        await self._answer("version")
        return VersionInfo("tuibox", "0.1.0", "1.44", "1.24", "linux", "amd64", "6.1.0")

    async def info(self) -> EngineInfo:
        await self._answer("info")
        return self.engine_info

    async def list_containers(self, all: bool = True) -> list[ContainerSummary]:
        await self._answer("list_containers", all)
        return list(self.containers)

    async def list_images(self) -> list[ImageSummary]:
        await self._answer("list_images")
        return list(self.images)

    async def start(self, container_id: str) -> ContainerStartResult:
        await self._answer("start", container_id)
        already = self._container(container_id).state == "running"
        self._set_state(container_id, state="running", status="Up Less than a second")
        return ContainerStartResult(already_started=already)

    async def stop(self, container_id: str, timeout: int = 10) -> ContainerStopResult:
        await self._answer("stop", container_id, timeout)
        already = self._container(container_id).state != "running"
        self._set_state(container_id, state="exited", status="Exited (143) Less than a second ago")
        self._done("stop", container_id)
        return ContainerStopResult(already_stopped=already)

    async def restart(self, container_id: str, timeout: int = 10) -> None:
        await self._answer("restart", container_id, timeout)
        self._set_state(container_id, state="running", status="Up Less than a second")

    async def kill(self, container_id: str, signal: str | None = None) -> None:
        await self._answer("kill", container_id, signal)

    async def list_volumes(self) -> list[VolumeSummary]:
        await self._answer("list_volumes")
        return list(self.volumes)

    async def create_volume(self, name: str) -> VolumeSummary:
        await self._answer("create_volume", name)
        volume = VolumeSummary(name or "f0" * 32, "local", f"/var/lib/tuibox/volumes/{name}/_data",
                               format_unix(FROZEN_NOW), in_use=False)  # fmt: skip
        self.volumes = [v for v in self.volumes if v.name != volume.name] + [volume]
        return volume

    async def remove_volume(self, name: str) -> None:
        await self._answer("remove_volume", name)
        if not any(v.name == name for v in self.volumes):
            raise NotFoundError(f"get {name}: no such volume", 404)
        self.volumes = [v for v in self.volumes if v.name != name]

    async def prune_volumes(self) -> tuple[list[str], int]:
        await self._answer("prune_volumes")
        gone = [v.name for v in self.volumes if v.anonymous and not v.in_use]
        self.volumes = [v for v in self.volumes if v.name not in gone]
        return gone, 4096 * len(gone)

    def _network(self, network_id: str) -> NetworkSummary:
        for network in self.networks:
            if network_id in (network.id, network.name):
                return network
        raise NotFoundError(f"network {network_id} not found", 404)

    async def list_networks(self) -> list[NetworkSummary]:
        await self._answer("list_networks")
        return list(self.networks)

    async def inspect_network(self, network_id: str) -> NetworkSummary:
        await self._answer("inspect_network", network_id)
        return self._network(network_id)

    async def create_network(
        self, name: str, subnet: str | None = None, internal: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NetworkCreated:  # fmt: skip
        await self._answer("create_network", name, subnet, internal, labels)
        if any(network.name == name for network in self.networks):
            raise ConflictError(f"network with name {name} already exists", 409)
        if subnet is not None and "/" not in subnet:
            raise InvalidArgumentError(f"invalid network config:\ninvalid subnet {subnet}", 400)
        network_id = f"{len(self.networks):02x}" * 32
        pools = (IPAMPool(subnet or "172.20.0.0/16", ""),)
        self.networks.append(NetworkSummary(network_id, name, "bridge", internal=internal,
                                            created=format_unix(FROZEN_NOW), pools=pools))
        return NetworkCreated(network_id)

    async def remove_network(self, network_id: str) -> None:
        await self._answer("remove_network", network_id)
        network = self._network(network_id)
        if network.predefined:
            raise ForbiddenError(
                f"{network.name} is a pre-defined network and cannot be removed", 403)
        if network.containers:
            first = network.containers[0]
            raise ForbiddenError(
                f"error while removing network: network {network.name} has active endpoints "
                f'(name:"{first.name}" id:"{first.container_id[:12]}")', 403)
        self.networks = [n for n in self.networks if n.id != network.id]

    async def prune_networks(self) -> list[str]:
        await self._answer("prune_networks")
        gone = [n.name for n in self.networks if not n.predefined and not n.containers]
        self.networks = [n for n in self.networks if n.name not in gone]
        return gone

    async def exec_create(
        self, container_id: str, command: list[str], *, tty: bool,
        size: tuple[int, int] | None = None,
    ) -> str:  # fmt: skip
        await self._answer("exec_create", container_id, command, tty)
        self._container(container_id)
        exec_id = f"exec-{len(self.called('exec_create'))}"
        probe = command[:2] == ["sh", "-c"]
        self.exec_codes[exec_id] = (0 if self.has_bash else 1) if probe else self.shell_exit
        return exec_id

    async def exec_start_detached(self, exec_id: str) -> None:
        await self._answer("exec_start_detached", exec_id)

    async def exec_exit_code(self, exec_id: str) -> int | None:
        await self._answer("exec_exit_code", exec_id)
        return self.exec_codes.get(exec_id)

    async def terminal_bridge(self, exec_id: str) -> FakeBridge:
        await self._answer("terminal_bridge", exec_id)
        bridge = FakeBridge(exec_id)
        self.bridges.append(bridge)
        return bridge

    async def attach_bridge(self, container_id: str, banner: str = "") -> FakeBridge:
        await self._answer("attach_bridge", container_id, banner)
        bridge = FakeBridge(container_id, banner)
        self.bridges.append(bridge)
        return bridge

    async def pause(self, container_id: str) -> None:
        await self._answer("pause", container_id)
        self._set_state(container_id, state="paused", status="Up 2 hours (Paused)")

    async def unpause(self, container_id: str) -> None:
        await self._answer("unpause", container_id)
        self._set_state(container_id, state="running", status="Up 2 hours")

    async def rename(self, container_id: str, new_name: str) -> None:
        await self._answer("rename", container_id, new_name)
        self.containers = [
            replace(c, names=(f"/{new_name}",)) if c.id == container_id else c
            for c in self.containers
        ]

    async def remove_container(self, container_id: str, force: bool = False) -> None:
        await self._answer("remove_container", container_id, force)
        self._container(container_id)
        self.containers = [c for c in self.containers if c.id != container_id]
        self._done("remove_container", container_id)

    async def run_image(self, image: str, options: RunOptions | None = None) -> str:
        args: tuple[object, ...] = (image,) if options is None else (image, options)
        await self._answer("run_image", *args)
        self.runs += 1
        new_id = f"{0xf0 + self.runs:02x}" * 32
        name = options.name if options and options.name else f"run-{len(self.containers)}"
        self.containers.append(
            ContainerSummary(new_id, (f"/{name}",), image, "", "",
                             int(FROZEN_NOW), "running", "Up Less than a second")
        )
        self._done("run_image", *args)
        return new_id

    async def remove_image(self, reference: str, force: bool = False) -> list[str]:
        await self._answer("remove_image", reference, force)
        return [f"Untagged: {reference}"]

    async def logs(
        self, container_id: str, follow: bool = True, tail: int | str = "all",
        *, timestamps: bool = False, since: float | None = None,
    ) -> AsyncIterator[LogChunk]:  # fmt: skip
        """The scripted chunks; with `timestamps`, each line starts with a time a second apart."""
        await self._answer("logs", container_id, follow, tail, timestamps, since)
        stamp = _LogStamper(enabled=timestamps)
        if self.log_source is not None:
            async for chunk in self.log_source():
                yield stamp(chunk)
        for chunk in self.log_chunks:
            yield stamp(chunk)
        await self.log_release.wait()

    async def stats_stream(self, since: float | None = None) -> AsyncIterator[StatsEvent]:
        await self._answer("stats_stream", since)
        for event in self.stats_events:
            yield event
        await self.stats_release.wait()

    async def inspect_container(self, container_id: str) -> dict[str, Any]:
        await self._answer("inspect_container", container_id)
        container = self._container(container_id)
        document: dict[str, Any] = {
            "Id": container.id, "Name": f"/{container.name}",
            "State": {"Status": container.state, "Running": container.is_running},
            "Config": {"Image": container.image, "Env": ["PATH=/bin", "A=b"]},
            "HostConfig": {"Memory": 0, "Binds": None}, "Mounts": [],
        }  # fmt: skip
        for key, value in self.inspect_extra.get(container_id, {}).items():
            if isinstance(value, dict) and isinstance(document.get(key), dict):
                document[key] = {**document[key], **value}
            else:
                document[key] = value
        return document

    async def top(self, container_id: str, ps_args: str | None = None) -> ProcessList:
        await self._answer("top", container_id, ps_args)
        container = self._container(container_id)
        if not container.is_running:
            raise ConflictError(f"container {container_id} is not running", 409)
        return self.processes.get(container_id, ProcessList(("PID", "CMD"), ()))

    async def cpu_limit(self, container_id: str) -> float | None:
        await self._answer("cpu_limit", container_id)
        return self.cpu_limits.get(container_id)

    async def stats_history(self, container_id: str, since: float) -> list[StatsSample]:
        await self._answer("stats_history", container_id, since)
        return [s for s in self.stats_history_by_id.get(container_id, []) if s.time > since]

    async def container_stats(self, container_id: str) -> AsyncIterator[StatsSample]:
        await self._answer("container_stats", container_id)
        for sample in self.stats_history_by_id.get(container_id, [])[-2:]:
            yield sample
        await self.stats_release.wait()

    async def close(self) -> None:
        self.closed = True


class _LogStamper:
    """Puts a Docker log timestamp, one second later each time, at the start of each line."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.line_start = True
        self.seconds = 0

    def __call__(self, chunk: LogChunk) -> LogChunk:
        if not self.enabled:
            return chunk
        stamped = []
        for piece in chunk.text.splitlines(keepends=True):
            if self.line_start:
                self.seconds += 1
                stamped.append(format_ns(int(FROZEN_NOW + self.seconds) * 1_000_000_000) + " ")
            stamped.append(piece)
            self.line_start = piece.endswith("\n")
        return replace(chunk, text="".join(stamped))


@pytest.fixture
def fake_client() -> FakeEngineClient:
    """A fresh fake engine with the sample containers, images and registries."""
    return FakeEngineClient()


MakeApp = Callable[..., TuiboxApp]
"""Builds a TuiboxApp; its keyword arguments (poll_interval, ...) go to TuiboxApp."""


@pytest.fixture
def make_app(fake_client: FakeEngineClient) -> MakeApp:
    """Build a TuiboxApp on the fake client with a frozen clock."""
    client: EngineClientProtocol = fake_client

    def build(**kwargs: Any) -> TuiboxApp:
        kwargs.setdefault("host_label", "unix:///run/tuibox/engine.sock")
        return TuiboxApp(client, clock=lambda: FROZEN_NOW, **kwargs)

    return build


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep blinking cursors still so snapshots are stable."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)
