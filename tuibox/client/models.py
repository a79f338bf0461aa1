"""Provides frozen snake_case models parsed once from the engine's PascalCase Docker JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

EngineKind = Literal["tuibox", "docker", "podman"]
LogStream = Literal["stdin", "stdout", "stderr", "system"]

DOCKER_HUB_INDEX = "docker.io"


def _str(raw: Mapping[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else default


def _int(raw: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = raw.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True)
class PingInfo:
    """What HEAD/GET /_ping says about the engine."""

    api_version: str | None
    os_type: str
    server: str
    experimental: bool
    libpod_api_version: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> PingInfo:
        """Read the ping headers (case-insensitive mapping, as httpx.Headers)."""
        return cls(
            api_version=headers.get("api-version") or None,
            os_type=headers.get("ostype", ""),
            server=headers.get("server", ""),
            experimental=headers.get("docker-experimental", "").lower() == "true",
            libpod_api_version=headers.get("libpod-api-version") or None,
        )


@dataclass(frozen=True)
class VersionInfo:
    """GET /version, reduced to what identifies the engine."""

    kind: EngineKind
    version: str
    api_version: str
    min_api_version: str
    os: str
    arch: str
    kernel_version: str

    @property
    def display_name(self) -> str:
        """The engine's name as shown in the header, e.g. "Docker 28.2.2"."""
        label = {"tuibox": "tuibox", "docker": "Docker", "podman": "Podman"}[self.kind]
        return f"{label} {self.version}".strip()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> VersionInfo:
        """Parse a SystemVersion document."""
        names = [_str(raw.get("Platform") or {}, "Name")]
        names += [
            _str(component, "Name")
            for component in raw.get("Components") or []
            if isinstance(component, Mapping)
        ]
        lowered = " ".join(names).lower()
        kind: EngineKind = "docker"
        if "tuibox" in lowered:
            kind = "tuibox"
        elif "podman" in lowered:
            kind = "podman"
        return cls(
            kind=kind,
            version=_str(raw, "Version"),
            api_version=_str(raw, "ApiVersion"),
            min_api_version=_str(raw, "MinAPIVersion"),
            os=_str(raw, "Os"),
            arch=_str(raw, "Arch"),
            kernel_version=_str(raw, "KernelVersion"),
        )


@dataclass(frozen=True)
class IndexConfig:
    """One entry of RegistryConfig.IndexConfigs: a registry and how the engine reaches it."""

    name: str
    mirrors: tuple[str, ...]
    secure: bool
    official: bool

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> IndexConfig:
        """Parse one IndexInfo object."""
        return cls(
            name=_str(raw, "Name"),
            mirrors=_strings(raw, "Mirrors"),
            secure=bool(raw.get("Secure", True)),
            official=bool(raw.get("Official", False)),
        )


@dataclass(frozen=True)
class RegistryConfig:
    """The engine's registry settings: mirrors, insecure registries, known indexes."""

    mirrors: tuple[str, ...]
    insecure_registry_cidrs: tuple[str, ...]
    index_configs: tuple[IndexConfig, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> RegistryConfig:
        """Parse Info.RegistryConfig (absent or null gives an empty config)."""
        raw = raw or {}
        indexes = raw.get("IndexConfigs") or {}
        index_configs = tuple(
            IndexConfig.from_json(value)
            for _, value in sorted(indexes.items())
            if isinstance(value, Mapping)
        ) if isinstance(indexes, Mapping) else ()
        return cls(
            mirrors=_strings(raw, "Mirrors"),
            insecure_registry_cidrs=_strings(raw, "InsecureRegistryCIDRs"),
            index_configs=index_configs,
        )


@dataclass(frozen=True)
class EngineInfo:
    """GET /info, the parts the TUI shows."""

    name: str
    server_version: str
    operating_system: str
    containers: int
    containers_running: int
    images: int
    registry: RegistryConfig
    warnings: tuple[str, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> EngineInfo:
        """Parse a SystemInfo document."""
        return cls(
            name=_str(raw, "Name"),
            server_version=_str(raw, "ServerVersion"),
            operating_system=_str(raw, "OperatingSystem"),
            containers=_int(raw, "Containers"),
            containers_running=_int(raw, "ContainersRunning"),
            images=_int(raw, "Images"),
            registry=RegistryConfig.from_json(raw.get("RegistryConfig")),
            warnings=_strings(raw, "Warnings"),
        )


@dataclass(frozen=True)
class PortSummary:
    """One entry of a container's `Ports` in GET /containers/json.

    A published port has the host address and port (`IP`, `PublicPort`); a port only
    exposed (EXPOSE, --expose) has neither: ip "" and public_port 0.
    """

    private_port: int
    type: str = "tcp"
    ip: str = ""
    public_port: int = 0

    @property
    def published(self) -> bool:
        """Whether a host port is bound to it."""
        return bool(self.ip) or self.public_port > 0

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PortSummary:
        """Parse a Port object ({IP, PrivatePort, PublicPort, Type})."""
        return cls(
            private_port=_int(raw, "PrivatePort"),
            type=_str(raw, "Type", "tcp") or "tcp",
            ip=_str(raw, "IP"),
            public_port=_int(raw, "PublicPort"),
        )


@dataclass(frozen=True)
class ContainerSummary:
    """One row of GET /containers/json."""

    id: str
    names: tuple[str, ...]
    image: str
    image_id: str
    command: str
    created: int
    state: str
    status: str
    ports: tuple[PortSummary, ...] = ()
    networks: tuple[str, ...] = ()
    """The names of the networks it is attached to (NetworkSettings.Networks), sorted."""

    @property
    def name(self) -> str:
        """The primary name without Docker's leading slash (the short ID when unnamed)."""
        return self.names[0].lstrip("/") if self.names else self.id[:12]

    @property
    def is_running(self) -> bool:
        """Whether the container's process is up (running, paused or restarting)."""
        return self.state in ("running", "paused", "restarting")

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ContainerSummary:
        """Parse a ContainerSummary object."""
        return cls(
            id=_str(raw, "Id"),
            names=_strings(raw, "Names"),
            image=_str(raw, "Image"),
            image_id=_str(raw, "ImageID"),
            command=_str(raw, "Command"),
            created=_int(raw, "Created"),
            state=_str(raw, "State").lower(),
            status=_str(raw, "Status"),
            ports=tuple(PortSummary.from_json(port) for port in raw.get("Ports") or ()
                        if isinstance(port, Mapping)),
            networks=tuple(sorted(_network_names(raw))),
        )  # fmt: skip


def _network_names(raw: Mapping[str, Any]) -> list[str]:
    settings = raw.get("NetworkSettings")
    networks = settings.get("Networks") if isinstance(settings, Mapping) else None
    return [str(name) for name in networks] if isinstance(networks, Mapping) else []


@dataclass(frozen=True)
class ImageSummary:
    """One row of GET /images/json."""

    id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    created: int
    size: int
    containers: int

    @property
    def tags(self) -> tuple[str, ...]:
        """The real tags, without Docker's "<none>:<none>" placeholder."""
        return tuple(tag for tag in self.repo_tags if tag != "<none>:<none>")

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ImageSummary:
        """Parse an ImageSummary object."""
        return cls(
            id=_str(raw, "Id"),
            repo_tags=_strings(raw, "RepoTags"),
            repo_digests=_strings(raw, "RepoDigests"),
            created=_int(raw, "Created"),
            size=_int(raw, "Size"),
            containers=_int(raw, "Containers", -1),
        )


ANONYMOUS_VOLUME_LABEL = "com.docker.volume.anonymous"


@dataclass(frozen=True)
class VolumeSummary:
    """One volume of GET /volumes, and whether a container uses it."""

    name: str
    driver: str
    mountpoint: str
    created_at: str
    labels: tuple[tuple[str, str], ...] = ()
    in_use: bool | None = None
    """Whether a container mounts it (None: not known yet)."""

    @property
    def anonymous(self) -> bool:
        """Made for one container (`-v /path`, VOLUME), not named by a user."""
        return any(key == ANONYMOUS_VOLUME_LABEL for key, _ in self.labels)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> VolumeSummary:
        """Parse a Volume object."""
        labels = raw.get("Labels")
        pairs = tuple(sorted((str(k), str(v)) for k, v in labels.items())) if isinstance(
            labels, Mapping) else ()  # fmt: skip
        return cls(
            name=_str(raw, "Name"),
            driver=_str(raw, "Driver"),
            mountpoint=_str(raw, "Mountpoint"),
            created_at=_str(raw, "CreatedAt"),
            labels=pairs,
        )


@dataclass(frozen=True)
class ContainerStartResult:
    """Outcome of a start: already_started is True when the engine answered 304."""

    already_started: bool


@dataclass(frozen=True)
class ContainerStopResult:
    """Outcome of a stop: already_stopped is True when the engine answered 304."""

    already_stopped: bool


@dataclass(frozen=True)
class LogChunk:
    """A piece of a container's output, as it arrived, tagged with its stream."""

    stream: LogStream
    text: str
