"""Provides the container detail models (processes, env, mounts, health) parsed from Docker JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuibox.client.models import _int, _str

NO_HEALTHCHECK = "none"
"""HealthReport.status of a container without a healthcheck (Docker's "no healthcheck")."""


@dataclass(frozen=True)
class ProcessList:
    """GET /containers/{id}/top: ps's column titles and one row of fields per process."""

    titles: tuple[str, ...]
    processes: tuple[tuple[str, ...], ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ProcessList:
        """Read Docker's ContainerTopResponse (rows padded or cut to the titles' count)."""
        titles = tuple(str(title) for title in raw.get("Titles") or () if title is not None)
        rows: list[tuple[str, ...]] = []
        for row in raw.get("Processes") or ():
            if isinstance(row, list):
                fields = [str(field) for field in row][: len(titles)]
                rows.append(tuple(fields + [""] * (len(titles) - len(fields))))
        return cls(titles, tuple(rows))

    @property
    def pid_column(self) -> int | None:
        """The index of the PID column, None when ps printed none."""
        return self.titles.index("PID") if "PID" in self.titles else None


@dataclass(frozen=True)
class EnvVar:
    """One entry of Config.Env: `NAME=value` (an entry without "=" has no value)."""

    name: str
    value: str | None


@dataclass(frozen=True)
class MountPoint:
    """One entry of inspect's Mounts."""

    type: str
    source: str
    """The host path, or the volume's name for a volume (its path is `host_path`)."""
    destination: str
    mode: str
    read_write: bool
    propagation: str
    host_path: str


@dataclass(frozen=True)
class HealthProbe:
    """One of the last healthcheck runs (State.Health.Log)."""

    start: str
    end: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class HealthReport:
    """State.Health: status (starting, healthy, unhealthy; NO_HEALTHCHECK when none)."""

    status: str
    failing_streak: int
    probes: tuple[HealthProbe, ...]
    test: tuple[str, ...]
    """Config.Healthcheck.Test, e.g. ("CMD-SHELL", "wget -q localhost"); () when unset."""

    @property
    def has_healthcheck(self) -> bool:
        """Whether the container runs a healthcheck."""
        return self.status != NO_HEALTHCHECK


@dataclass(frozen=True)
class ContainerDetails:
    """The parts of `docker inspect` the container screen's Env, Mounts and Health tabs show."""

    env: tuple[EnvVar, ...]
    mounts: tuple[MountPoint, ...]
    health: HealthReport

    @classmethod
    def from_inspect(cls, raw: Mapping[str, Any]) -> ContainerDetails:
        """Read GET /containers/{id}/json (missing or malformed parts read as empty)."""
        config = _mapping(raw, "Config")
        return cls(
            env=tuple(_env_var(entry) for entry in config.get("Env") or ()
                      if isinstance(entry, str)),
            mounts=tuple(_mount(entry) for entry in raw.get("Mounts") or ()
                         if isinstance(entry, Mapping)),
            health=_health(_mapping(_mapping(raw, "State"), "Health"),
                           _mapping(config, "Healthcheck")),
        )  # fmt: skip


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


def _env_var(entry: str) -> EnvVar:
    name, equals, value = entry.partition("=")
    return EnvVar(name, value if equals else None)


def _mount(raw: Mapping[str, Any]) -> MountPoint:
    kind = _str(raw, "Type")
    host_path = _str(raw, "Source")
    source = _str(raw, "Name") if kind == "volume" and raw.get("Name") else host_path
    return MountPoint(kind, source, _str(raw, "Destination"), _str(raw, "Mode"),
                      raw.get("RW") is True, _str(raw, "Propagation"), host_path)  # fmt: skip


def _health(raw: Mapping[str, Any], healthcheck: Mapping[str, Any]) -> HealthReport:
    test = tuple(item for item in healthcheck.get("Test") or () if isinstance(item, str))
    status = _str(raw, "Status")
    if not status or test[:1] == ("NONE",):
        return HealthReport(NO_HEALTHCHECK, 0, (), test)
    probes = tuple(
        HealthProbe(_str(entry, "Start"), _str(entry, "End"), _int(entry, "ExitCode"),
                    _str(entry, "Output"))
        for entry in raw.get("Log") or () if isinstance(entry, Mapping)
    )  # fmt: skip
    return HealthReport(status, _int(raw, "FailingStreak"), probes, test)
