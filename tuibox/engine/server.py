"""Composition root: check the host, build the services, serve the API on the Unix socket."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from aiohttp import web

import tuibox
from tuibox.engine.api.archive import ArchiveRoutes
from tuibox.engine.api.auth import AuthRoutes
from tuibox.engine.api.browse import BrowseRoutes
from tuibox.engine.api.commit import CommitRoutes
from tuibox.engine.api.containers import ContainerRoutes
from tuibox.engine.api.errors import error_middleware
from tuibox.engine.api.execs import ExecRoutes
from tuibox.engine.api.http_server import connection_limits, nofile_soft_limit, start_unix_site
from tuibox.engine.api.image_archive import ImageArchiveRoutes
from tuibox.engine.api.images import ImageRoutes
from tuibox.engine.api.known_query import known_query_middleware
from tuibox.engine.api.layer_tree import LayerTreeRoutes
from tuibox.engine.api.networks import NetworkRoutes
from tuibox.engine.api.push import PushRoutes
from tuibox.engine.api.stats import StatsRoutes
from tuibox.engine.api.system import SystemRoutes
from tuibox.engine.api.versioning import (
    common_headers,
    no_implicit_head,
    version_middleware,
    with_version_prefix,
)
from tuibox.engine.api.volumes import VolumeRoutes
from tuibox.engine.cgroups.conmon_placement import ConmonPlacement
from tuibox.engine.cgroups.layout import detect_layout
from tuibox.engine.cgroups.support import detect_limit_support
from tuibox.engine.domain.config import EngineConfig, load_config
from tuibox.engine.domain.errors import EngineError
from tuibox.engine.domain.host import HostFacts
from tuibox.engine.events import EventBus
from tuibox.engine.host.check import check_host
from tuibox.engine.layers.mounts import OverlayMounter, RootfsMounter
from tuibox.engine.metrics import HostMetrics
from tuibox.engine.network.bridge_driver import BridgeDriver
from tuibox.engine.network.dns import EmbeddedDns
from tuibox.engine.network.protocol import NetworkDriver
from tuibox.engine.network.unavailable import NetworkingUnavailable
from tuibox.engine.registry.read_size import widen_reads
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.browse.catalog import RegistryBrowser
from tuibox.engine.services.containers import ContainerService
from tuibox.engine.services.containers.archive import ContainerArchive
from tuibox.engine.services.containers.bundle import BundleWriter, RunSettings
from tuibox.engine.services.containers.commit import ContainerCommit
from tuibox.engine.services.containers.connections import NetworkConnections
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.creation import ContainerCreation
from tuibox.engine.services.containers.execs import ContainerExecs
from tuibox.engine.services.containers.exits import ExitRecorder
from tuibox.engine.services.containers.export import ContainerExport
from tuibox.engine.services.containers.health import HealthMonitor
from tuibox.engine.services.containers.host_gateway import HostGateway
from tuibox.engine.services.containers.lifecycle import ContainerLifecycle
from tuibox.engine.services.containers.networking import ContainerNetworking, NameServer
from tuibox.engine.services.containers.ports import PortReservations
from tuibox.engine.services.containers.queries import ContainerQueries
from tuibox.engine.services.containers.recovery import ContainerRecovery
from tuibox.engine.services.containers.removal import ContainerRemoval
from tuibox.engine.services.containers.restarts import RestartPolicies
from tuibox.engine.services.containers.runs import Runs
from tuibox.engine.services.containers.stdin import StdinHubs
from tuibox.engine.services.containers.streams import ContainerStreams
from tuibox.engine.services.containers.updates import ContainerUpdates
from tuibox.engine.services.images.archive import ImageArchive
from tuibox.engine.services.images.layer_tree import LayerExplorer
from tuibox.engine.services.images.push import ImagePusher
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.services.networks.service import NetworkService
from tuibox.engine.services.networks.state import IpamSettings
from tuibox.engine.services.registries.service import RegistryService
from tuibox.engine.services.stats.sampler import StatsSampler
from tuibox.engine.services.stats.service import StatsService
from tuibox.engine.services.stats.source import MetricsSource, NoMetrics
from tuibox.engine.services.system.disk_usage import DiskUsage
from tuibox.engine.services.system.events import EventFeed
from tuibox.engine.services.system.info import SystemService
from tuibox.engine.services.volumes.service import VolumeService
from tuibox.engine.store.containers import ContainerRecordStore, ContainerStore
from tuibox.engine.store.networks import NetworkStore
from tuibox.engine.store.volumes import VolumeStore

log = logging.getLogger("tuibox.engine")
SOCKET_MODE = 0o660


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tuibox engine", description="Serve the Docker Engine API with tuibox's engine."
    )
    parser.add_argument("--socket", type=Path, help="Unix socket (default /run/tuibox/engine.sock)")
    parser.add_argument(
        "--data-root", type=Path, help="images and containers (default /var/lib/tuibox)"
    )
    parser.add_argument("--exec-root", type=Path, help="run state (default /run/tuibox)")
    parser.add_argument(
        "--config", type=Path, help="engine config JSON (default /etc/tuibox/engine.json)"
    )
    parser.add_argument("--log-level", help="debug, info, warning or error")
    parser.add_argument(
        "--version", action="version", version=f"tuibox engine {tuibox.__version__}"
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Services:
    """Everything one engine process serves with."""

    images: ImageService
    containers: ContainerService
    system: SystemService
    events: EventFeed
    stats: StatsService
    volumes: VolumeService
    networks: NetworkService
    registries: RegistryService


@dataclass(frozen=True)
class Seams:
    """The real components behind the services; unit tests hand in fakes instead."""

    runtime: Runtime
    mounter: RootfsMounter
    container_store: ContainerRecordStore
    registry_transport: httpx.AsyncBaseTransport | None = None
    metrics: MetricsSource | None = None
    """Where stats come from; without one, containers have no figures (some unit tests)."""
    network: NetworkDriver | None = None
    """The kernel side of networking; without one, every network call is refused."""
    dns: NameServer | None = None
    """The embedded DNS server; without one, user networks resolve no names."""


DATA_ROOT_MODE = 0o700
EXEC_ROOT_MODE = 0o711


def real_seams(config: EngineConfig, facts: HostFacts) -> Seams:
    """conmon + crun, overlayfs and the on-disk container store under the engine's roots.

    The data root holds image content, container root filesystems and their setuid
    binaries, so only root may enter it (CVE-2021-41091); the exec root may be crossed
    to reach a socket inside it, never listed.
    """
    for directory, mode in ((config.data_root, DATA_ROOT_MODE), (config.exec_root, EXEC_ROOT_MODE)):
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, mode)
    runtime = ConmonRuntime(
        config.exec_root, crun_path=facts.crun_path, conmon_path=facts.conmon_path,
        place_monitor=ConmonPlacement(detect_layout(), config.cgroup_parent).place,
    )
    store = ContainerStore(config.data_root / "containers")
    return Seams(
        runtime, OverlayMounter(), store, metrics=HostMetrics(detect_layout()),
        network=BridgeDriver(), dns=EmbeddedDns(),
    )  # fmt: skip


def compose(config: EngineConfig, facts: HostFacts, seams: Seams) -> Services:
    """Build every service, in dependency order; nothing here talks to the network."""
    bus = EventBus()
    images = ImageService.open(config, seams.registry_transport)
    context = ContainerContext(seams.container_store, bus)
    runtime = seams.runtime
    limits = facts.limits or detect_limit_support(detect_layout())
    volumes = VolumeService(VolumeStore(config.data_root / "volumes"), bus)
    networks = NetworkService(
        NetworkStore(config.data_root / "network"),
        seams.network or NetworkingUnavailable(),
        bus,
        IpamSettings.from_config(config),
    )
    settings = RunSettings.docker_defaults(facts.nofile_limit, config.cgroup_parent)
    networking = ContainerNetworking(networks, PortReservations(), seams.dns, settings.host_resolv)
    runs = Runs(context, runtime, seams.mounter, networking)
    removal = ContainerRemoval(context, runs, volumes)
    metrics = seams.metrics or NoMetrics()
    exits = ExitRecorder(context, runtime, runs, removal, metrics)
    bundles = BundleWriter(images, seams.mounter, settings, volumes.data_dir,
                           HostGateway(config.host_gateway_ip, networks.lookup))
    hubs = StdinHubs(runtime)
    context.forget_listeners.append(hubs.forget)
    lifecycle = ContainerLifecycle(context, runtime, runs, exits, removal, bundles, hubs,
                                   networking)  # fmt: skip
    restarts = RestartPolicies(context, lifecycle)
    exits.after_exit = restarts.after_exit
    execs = ContainerExecs(context, runtime, settings.grantable)
    context.forget_listeners.append(execs.forget_container)
    containers = ContainerService(
        context=context,
        creation=ContainerCreation(context, images, config.cgroup_parent, limits, volumes,
                                   settings.security_of, networking),
        lifecycle=lifecycle,
        removal=removal,
        queries=ContainerQueries(context, images, volumes.data_dir, networking),
        streams=ContainerStreams(context, runtime, hubs),
        recovery=ContainerRecovery(context, runtime, runs, exits, removal),
        updates=ContainerUpdates(context, runtime, limits),
        restarts=restarts,
        execs=execs,
        health=HealthMonitor(context, execs),
        export=ContainerExport(context, images, seams.mounter),
        archive=ContainerArchive(context, images, seams.mounter, volumes.data_dir),
        commit=ContainerCommit(context, images, lifecycle),
        networking=networking,
        connections=NetworkConnections(context, networking),
    )
    images.set_event_bus(bus)
    images.set_usage_lookup(context.users_of_image)
    images.set_layer_usage_lookup(context.layers_in_use)
    volumes.set_usage_lookup(context.users_of_volume)
    system = SystemService(config, facts, context, images)
    sampler = StatsSampler(context, metrics, cgroup_parent=config.cgroup_parent)
    stats = StatsService(context, sampler, metrics)
    networks.set_name_lookup(
        lambda cid: context.records[cid].name if cid in context.records else ""
    )
    registries = RegistryService.open(config, images.registry)
    return Services(images, containers, system, EventFeed(bus), stats, volumes, networks,
                    registries)  # fmt: skip


def build_app(services: Services) -> web.Application:
    """Mount the routes of every service; start-up recovers containers and collects garbage."""
    app = web.Application(
        middlewares=[error_middleware, version_middleware, known_query_middleware],
        client_max_size=16 * 1024 * 1024,  # JSON bodies; tar uploads are streamed
    )
    stats_routes = StatsRoutes(services.stats)
    disk_usage = DiskUsage(services.images, services.containers.queries, services.volumes,
                           services.containers.context.users_of_volume)
    routes = [
        *SystemRoutes(services.system, services.events, disk_usage).routes(),
        *ContainerRoutes(services.containers).routes(),
        *ArchiveRoutes(services.containers.archive).routes(),
        *CommitRoutes(services.containers.commit).routes(),
        *ExecRoutes(services.containers.execs).routes(),
        *ImageArchiveRoutes(ImageArchive(services.images)).routes(),
        *ImageRoutes(services.images).routes(),
        *PushRoutes(ImagePusher(services.images)).routes(),
        *AuthRoutes(services.registries).routes(),
        *stats_routes.routes(),
        *VolumeRoutes(services.volumes).routes(),
        *NetworkRoutes(services.networks, services.containers.connections).routes(),
    ]
    app.add_routes(no_implicit_head([
        *with_version_prefix(routes),
        *stats_routes.own_routes(),
        *AuthRoutes(services.registries).own_routes(),
        *LayerTreeRoutes(LayerExplorer(services.images)).routes(),
        *BrowseRoutes(RegistryBrowser(services.images.registry)).routes(),
    ]))
    headers = common_headers(tuibox.__version__)

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(headers)

    async def recover(_: web.Application) -> None:
        await services.networks.open()
        await services.containers.start_up()
        services.stats.sampler.start()
        collected = await services.images.collect_garbage()
        log.info(
            "garbage collection removed %d blobs and %d layers", collected.blobs, collected.layers
        )

    async def close_clients(_: web.Application) -> None:
        await services.networks.close()  # the veths of ended runs, bounded
        await services.containers.health.stop()
        await services.stats.sampler.stop()
        await services.images.aclose()

    app.on_response_prepare.append(add_headers)
    app.on_startup.append(recover)
    app.on_cleanup.append(close_clients)
    return app


def _take_lock(exec_root: Path) -> IO[str]:
    exec_root.mkdir(parents=True, exist_ok=True)
    lock_file = (exec_root / "engine.lock").open("a+")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise EngineError(
            f"another tuibox engine is running with exec root {exec_root}; "
            "stop it first or choose another --exec-root"
        ) from None
    return lock_file


async def serve(config: EngineConfig, facts: HostFacts) -> None:
    """Serve until SIGTERM or SIGINT; containers keep running after the engine stops."""
    app = build_app(compose(config, facts, real_seams(config, facts)))
    config.socket.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        config.socket.unlink()
    served = await start_unix_site(
        app,
        config.socket,
        connection_limits(nofile_soft_limit()),
        handler_cancellation=True,
        access_log=None,
    )
    os.chmod(config.socket, SOCKET_MODE)
    log.info("tuibox engine %s listening on %s", tuibox.__version__, config.socket)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("tuibox engine stopping; containers keep running under conmon")
    await served.stop()
    with contextlib.suppress(FileNotFoundError):
        config.socket.unlink()


SWITCH_INTERVAL = 0.0005


def main(argv: list[str] | None = None) -> int:
    """Run the engine; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config(
            args.config, socket=args.socket, data_root=args.data_root, exec_root=args.exec_root
        )
    except EngineError as err:
        print(f"tuibox engine: {err}", file=sys.stderr)
        return 2
    level = (args.log_level or config.log_level).upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    facts, problems = check_host(config.exec_root)
    if problems or facts is None:
        for problem in problems:
            print(f"tuibox engine: {problem.line()}", file=sys.stderr)
        return 1
    try:
        lock = _take_lock(config.exec_root)
    except EngineError as err:
        print(f"tuibox engine: {err}", file=sys.stderr)
        return 1
    # A thread that wants the GIL waits this long before the holder must drop it: the
    # event loop, back from a socket read, waits 0.5 ms behind a thread unpacking a layer
    # of small files rather than CPython's 5 ms (downloads and API calls during a pull).
    sys.setswitchinterval(SWITCH_INTERVAL)
    widen_reads()
    try:
        asyncio.run(serve(config, facts))
    finally:
        lock.close()
    return 0
