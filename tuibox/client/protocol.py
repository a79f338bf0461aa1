"""Provides EngineClientProtocol: the engine operations the TUI depends on (real or fake client)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from tuibox.client.details import ProcessList
from tuibox.client.image_calls import PruneResult
from tuibox.client.models import (
    ContainerStartResult,
    ContainerStopResult,
    ContainerSummary,
    EngineInfo,
    ImageSummary,
    LogChunk,
    PingInfo,
    VersionInfo,
    VolumeSummary,
)
from tuibox.client.networks import NetworkCreated, NetworkSummary
from tuibox.client.progress import ProgressEvent
from tuibox.client.registries import CatalogPage, RegistryState, TagPage
from tuibox.client.run_options import RunOptions
from tuibox.client.stats_models import StatsEvent, StatsSample


class Bridge(Protocol):
    """Wires the user's terminal to an exec's TTY; `run` blocks until it ends, never raises."""

    def run(self, stdin_fd: int, stdout_fd: int) -> None: ...


class EngineClientProtocol(Protocol):
    """The calls TuiboxApp makes; EngineClient implements them over HTTP, tests with a fake.

    Lifecycle: build the client, call any method (the first negotiates the API version),
    call close() once when the app exits. Every method raises EngineError subclasses only.
    """

    async def ping(self) -> PingInfo: ...

    async def version(self) -> VersionInfo: ...

    async def info(self) -> EngineInfo: ...

    async def list_containers(self, all: bool = True) -> list[ContainerSummary]: ...

    async def list_images(self) -> list[ImageSummary]: ...

    async def cpu_limit(self, container_id: str) -> float | None: ...

    async def inspect_container(self, container_id: str) -> dict[str, Any]: ...

    async def top(self, container_id: str, ps_args: str | None = None) -> ProcessList: ...

    async def start(self, container_id: str) -> ContainerStartResult: ...

    async def stop(self, container_id: str, timeout: int = 10) -> ContainerStopResult: ...

    async def restart(self, container_id: str, timeout: int = 10) -> None: ...

    async def kill(self, container_id: str, signal: str | None = None) -> None: ...

    async def list_volumes(self) -> list[VolumeSummary]: ...

    async def create_volume(self, name: str) -> VolumeSummary: ...

    async def remove_volume(self, name: str) -> None: ...

    async def prune_volumes(self) -> tuple[list[str], int]: ...

    async def list_networks(self) -> list[NetworkSummary]: ...

    async def inspect_network(self, network_id: str) -> NetworkSummary: ...

    async def create_network(
        self, name: str, subnet: str | None = None, internal: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NetworkCreated: ...  # fmt: skip

    async def remove_network(self, network_id: str) -> None: ...

    async def prune_networks(self) -> list[str]: ...

    async def exec_create(
        self, container_id: str, command: list[str], *, tty: bool,
        size: tuple[int, int] | None = None,
    ) -> str: ...  # fmt: skip

    async def exec_start_detached(self, exec_id: str) -> None: ...

    async def exec_exit_code(self, exec_id: str) -> int | None: ...

    async def terminal_bridge(self, exec_id: str) -> Bridge: ...

    async def attach_bridge(self, container_id: str, banner: str = "") -> Bridge: ...

    async def pause(self, container_id: str) -> None: ...

    async def unpause(self, container_id: str) -> None: ...

    async def rename(self, container_id: str, new_name: str) -> None: ...

    async def remove_container(self, container_id: str, force: bool = False) -> None: ...

    async def run_image(self, image: str, options: RunOptions | None = None) -> str: ...

    async def remove_image(self, reference: str, force: bool = False) -> list[str]: ...

    def logs(
        self, container_id: str, follow: bool = True, tail: int | str = "all",
        *, timestamps: bool = False, since: float | None = None,
    ) -> AsyncIterator[LogChunk]: ...  # fmt: skip

    def stats_stream(self, since: float | None = None) -> AsyncIterator[StatsEvent]: ...

    async def stats_history(self, container_id: str, since: float) -> list[StatsSample]: ...

    def container_stats(self, container_id: str) -> AsyncIterator[StatsSample]: ...

    async def connect_network(
        self, network_id: str, container: str, *, aliases: Sequence[str] = (), ipv4: str = ""
    ) -> None: ...

    async def disconnect_network(
        self, network_id: str, container: str, force: bool = False
    ) -> None: ...

    def pull_image(
        self, reference: str, platform: str | None = None
    ) -> AsyncIterator[ProgressEvent]: ...

    def push_image(self, reference: str) -> AsyncIterator[ProgressEvent]: ...

    async def tag_image(self, source: str, target: str) -> None: ...

    async def prune_images(self, all: bool = False) -> PruneResult: ...

    async def login(self, server: str, username: str, password: str) -> str: ...

    async def logout(self, server: str) -> None: ...

    async def list_registries(self) -> list[RegistryState] | None: ...

    async def registry_catalog(
        self, host: str, last: str | None = None, n: int = 100
    ) -> CatalogPage: ...

    async def registry_tags(
        self, host: str, repository: str, last: str | None = None, n: int = 100
    ) -> TagPage: ...

    async def close(self) -> None: ...
