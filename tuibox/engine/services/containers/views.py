"""Docker JSON views of container records: `docker ps` summaries and filters, `docker inspect`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import re2

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status, status_text
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.services.containers.context import ContainerPaths

SUPPORTED_FILTERS = {"status", "name", "id", "ancestor", "exited", "label", "since", "before"}


VolumeDir = Callable[[str], str]
"""Where a volume's data is on the host, by volume name."""


def mount_views(record: ContainerRecord, volume_dir: VolumeDir) -> list[dict[str, Any]]:
    """Docker's MountPoint objects, as inspect and ps show them."""
    views: list[dict[str, Any]] = []
    for mount in record.mounts:
        view: dict[str, Any] = {"Type": mount.type}
        if mount.type == "volume":
            view.update(Name=mount.source, Source=volume_dir(mount.source), Driver="local")
        else:
            view["Source"] = mount.source
        view.update(Destination=mount.destination, Mode=mount.mode, RW=not mount.read_only,
                    Propagation=mount.propagation)  # fmt: skip
        views.append(view)
    return views


def summary(
    record: ContainerRecord, now: datetime | None = None, volume_dir: VolumeDir = str,
    network: tuple[list[dict[str, Any]], dict[str, Any]] = ([], {}),
) -> dict[str, Any]:  # fmt: skip
    """One ContainerSummary of GET /containers/json; `network` is its Ports and Networks."""
    created = timestamps.parse_seconds(record.created)
    network_mode = record.host_config.get("NetworkMode", "bridge")
    return {
        "Id": record.id,
        "Names": [f"/{record.name}"],
        "Image": record.image_ref,
        "ImageID": record.image_id,
        "Command": record.command,
        "Created": created or 0,
        "Ports": network[0],
        "Labels": dict(record.config.get("Labels") or {}),
        "State": record.state.status.value,
        "Status": status_text(record.state, now or datetime.now(UTC)),
        "HostConfig": {"NetworkMode": network_mode},
        "NetworkSettings": {"Networks": network[1]},
        "Mounts": mount_views(record, volume_dir),
    }


def inspect(
    record: ContainerRecord, paths: ContainerPaths, volume_dir: VolumeDir = str,
    network_settings: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The container inspect document (API 1.44 shape)."""
    state = record.state
    return {
        "Id": record.id,
        "Created": record.created,
        "Path": record.path,
        "Args": list(record.args),
        "State": {
            "Status": state.status.value,
            "Running": state.running,
            "Paused": state.status is Status.PAUSED,
            "Restarting": state.status is Status.RESTARTING,
            "OOMKilled": state.oom_killed,
            "Dead": state.status is Status.DEAD,
            "Pid": state.pid,
            "ExitCode": state.exit_code,
            "Error": state.error,
            "StartedAt": state.started_at,
            "FinishedAt": state.finished_at,
            **({"Health": state.health} if state.health is not None else {}),
        },
        "Image": record.image_id,
        "ResolvConfPath": str(paths.resolv_file),
        "HostnamePath": str(paths.hostname_file),
        "HostsPath": str(paths.hosts_file),
        "LogPath": str(paths.log),
        "Name": f"/{record.name}",
        "RestartCount": record.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": record.host_config,
        "GraphDriver": {
            "Name": "overlay2",
            "Data": {
                "MergedDir": str(paths.rootfs),
                "UpperDir": str(paths.upper),
                "WorkDir": str(paths.work),
            },
        },
        "Mounts": mount_views(record, volume_dir),
        "Config": record.config,
        "NetworkSettings": network_settings or {
            "Bridge": "",
            "SandboxID": "",
            "Ports": {},
            "SandboxKey": "",
            "MacAddress": "",
            "IPAddress": "",
            "Gateway": "",
            "Networks": {},
        },
    }


DOCKER_FILTERS = frozenset({
    "ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task",
    "label", "name", "network", "publish", "since", "status", "volume",
})  # fmt: skip
"""Every filter `docker ps` knows."""
STATUSES = frozenset({"created", "restarting", "running", "removing", "paused", "exited", "dead"})
_NAME_OPTIONS = re2.Options()
_NAME_OPTIONS.log_errors = False


@dataclass(frozen=True)
class PsFilters:
    """`docker ps --filter` values, checked and compiled once per request."""

    values: dict[str, list[str]]
    names: tuple[Any, ...]
    created_after_ns: int | None
    created_before_ns: int | None
    ancestor_ids: frozenset[str] = frozenset()
    """The image IDs the ancestor filters name (references resolved as Docker does)."""


def compile_filters(
    filters: dict[str, list[str]],
    lookup: Callable[[str], ContainerRecord],
    image_id_of: Callable[[str], str | None] = lambda _name: None,
) -> PsFilters:
    """Check the filters as Docker does and compile the name patterns.

    Name patterns are Go regular expressions (RE2): linear time whatever the pattern, so
    no client can stall the engine with one, and the syntax is Docker's own.

    Raises:
        InvalidArgument: an unknown filter, one tuibox does not apply yet, an invalid
            status, exit code or name pattern.
        NotFound: a since/before filter names no container.
    """
    for key in filters:
        if key not in DOCKER_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
        if key not in SUPPORTED_FILTERS:
            raise InvalidArgument(f"the filter '{key}' is not supported by the tuibox engine yet")
    for status in filters.get("status", []):
        if status not in STATUSES:
            raise InvalidArgument(
                f"invalid filter 'status={status}': expected one of {', '.join(sorted(STATUSES))}"
            )
    for code in filters.get("exited", []):
        if not re.fullmatch(r"-?[0-9]{1,10}", code):
            raise InvalidArgument(f"invalid filter 'exited={code}': not an exit code")
    names = []
    for pattern in filters.get("name", []):
        try:
            names.append(re2.compile(pattern, _NAME_OPTIONS))
        except re2.error as err:
            reason = err.args[0].decode(errors="replace") if err.args and isinstance(
                err.args[0], bytes) else str(err)  # fmt: skip
            raise InvalidArgument(f"invalid name filter {pattern!r}: {reason}") from None
    ancestors = {image_id_of(given) for given in filters.get("ancestor", [])}
    return PsFilters(
        values=filters,
        names=tuple(names),
        created_after_ns=_bound(filters.get("since", []), lookup, max),
        created_before_ns=_bound(filters.get("before", []), lookup, min),
        ancestor_ids=frozenset(image_id for image_id in ancestors if image_id),
    )


def _bound(
    given: list[str],
    lookup: Callable[[str], ContainerRecord],
    pick: Callable[[list[int]], int],
) -> int | None:
    times = [timestamps.parse_ns(lookup(name).created) or 0 for name in given]
    return pick(times) if times else None


def matches(record: ContainerRecord, filters: PsFilters) -> bool:
    """Apply `docker ps --filter` semantics: values of one key OR, keys AND."""
    created = timestamps.parse_ns(record.created) or 0
    if filters.created_after_ns is not None and created <= filters.created_after_ns:
        return False
    if filters.created_before_ns is not None and created >= filters.created_before_ns:
        return False
    slashed = f"/{record.name}"  # Docker matches the name with and without its slash
    if filters.names and not any(
        p.search(record.name) or p.search(slashed) for p in filters.names
    ):
        return False
    tests: dict[str, Callable[[str], bool]] = {
        "status": lambda v: record.state.status.value == v,
        "id": lambda v: record.id.startswith(v),
        "ancestor": lambda v: record.image_id in filters.ancestor_ids or v == record.image_ref,
        "exited": lambda v: (
            record.state.status is Status.EXITED and str(record.state.exit_code) == v
        ),
        "label": lambda v: label_matches(record.config.get("Labels") or {}, v),
    }
    for key, values in filters.values.items():
        if key in tests and values and not any(tests[key](value) for value in values):
            return False
    return True


