"""Docker JSON views of container records: `docker ps` summaries and filters, `docker inspect`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status, status_text
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.context import ContainerPaths

SUPPORTED_FILTERS = {"status", "name", "id", "ancestor", "exited", "label"}


def summary(record: ContainerRecord, now: datetime | None = None) -> dict[str, Any]:
    """One ContainerSummary of GET /containers/json."""
    created = timestamps.parse_seconds(record.created)
    network_mode = record.host_config.get("NetworkMode", "none")
    return {
        "Id": record.id,
        "Names": [f"/{record.name}"],
        "Image": record.image_ref,
        "ImageID": record.image_id,
        "Command": record.command,
        "Created": created or 0,
        "Ports": [],
        "Labels": dict(record.config.get("Labels") or {}),
        "State": record.state.status.value,
        "Status": status_text(record.state, now or datetime.now(UTC)),
        "HostConfig": {"NetworkMode": network_mode},
        "NetworkSettings": {"Networks": {}},
        "Mounts": [],
    }


def inspect(record: ContainerRecord, paths: ContainerPaths) -> dict[str, Any]:
    """The container inspect document (API 1.44 shape)."""
    state = record.state
    return {
        "Id": record.id,
        "Created": record.created,
        "Path": record.path,
        "Args": list(record.args),
        "State": {
            "Status": state.status.value,
            "Running": state.status is Status.RUNNING,
            "Paused": state.status is Status.PAUSED,
            "Restarting": state.status is Status.RESTARTING,
            "OOMKilled": state.oom_killed,
            "Dead": state.status is Status.DEAD,
            "Pid": state.pid,
            "ExitCode": state.exit_code,
            "Error": state.error,
            "StartedAt": state.started_at,
            "FinishedAt": state.finished_at,
        },
        "Image": record.image_id,
        "ResolvConfPath": "",
        "HostnamePath": "",
        "HostsPath": "",
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
        "Mounts": [],
        "Config": record.config,
        "NetworkSettings": {
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


def validate_filters(filters: dict[str, list[str]]) -> None:
    """Refuse unknown filter keys and name patterns that are not regular expressions."""
    for key in filters:
        if key not in SUPPORTED_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    for pattern in filters.get("name", []):
        try:
            re.compile(pattern)
        except re.error as err:
            raise InvalidArgument(f"invalid name filter {pattern!r}: {err}") from None


def matches(record: ContainerRecord, filters: dict[str, list[str]]) -> bool:
    """Apply `docker ps --filter` semantics: values of one key OR, keys AND."""
    tests: dict[str, Callable[[str], bool]] = {
        "status": lambda v: record.state.status.value == v,
        "name": lambda v: re.search(v, record.name) is not None,
        "id": lambda v: record.id.startswith(v),
        "ancestor": lambda v: v in (record.image_ref, record.image_id, record.image_id[7:19]),
        "exited": lambda v: (
            record.state.status is Status.EXITED and str(record.state.exit_code) == v
        ),
        "label": lambda v: _label_matches(record, v),
    }
    for key, values in filters.items():
        if values and not any(tests[key](value) for value in values):
            return False
    return True


def _label_matches(record: ContainerRecord, wanted: str) -> bool:
    labels = record.config.get("Labels") or {}
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)
