"""Import (docker import): one rootfs tarball becomes a one-layer image."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.registry.manifests import host_architecture

MAX_IMPORT_BYTES = 16 * 1024**3


def parse_changes(changes: list[str]) -> dict[str, Any]:
    """Apply Dockerfile-like `changes` (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE...).

    Returns:
        The image config's "config" section.

    Raises:
        InvalidArgument: an instruction tuibox does not know, or one without a value.
    """
    section: dict[str, Any] = {}
    for change in changes:
        instruction, _, value = change.strip().partition(" ")
        keyword = instruction.upper()
        value = value.strip()
        if not keyword:
            continue
        if not value:
            raise InvalidArgument(f"{keyword} requires at least one argument")
        _apply_change(section, keyword, value)
    return section


def _apply_change(section: dict[str, Any], keyword: str, value: str) -> None:
    if keyword in ("CMD", "ENTRYPOINT"):
        section["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(value)
    elif keyword == "ENV":
        section.setdefault("Env", []).extend(_pairs(value, keyword))
    elif keyword == "LABEL":
        labels = section.setdefault("Labels", {})
        for pair in _pairs(value, keyword):
            key, _, label = pair.partition("=")
            labels[key] = label
    elif keyword == "WORKDIR":
        section["WorkingDir"] = value
    elif keyword == "USER":
        section["User"] = value
    elif keyword == "STOPSIGNAL":
        section["StopSignal"] = value
    elif keyword == "EXPOSE":
        ports = section.setdefault("ExposedPorts", {})
        for port in value.split():
            ports[port if "/" in port else f"{port}/tcp"] = {}
    elif keyword == "VOLUME":
        volumes = section.setdefault("Volumes", {})
        for path in _command(value) if value.startswith("[") else value.split():
            volumes[path] = {}
    else:
        raise InvalidArgument(f"{keyword} is not a valid change command")


def _command(value: str) -> list[str]:
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return parsed
    return ["/bin/sh", "-c", value]


def _pairs(value: str, keyword: str) -> list[str]:
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise InvalidArgument(f"{keyword} {value!r}: {err}") from None
    if len(words) >= 2 and "=" not in words[0]:
        return [f"{words[0]}={' '.join(words[1:])}"]
    if not all("=" in w for w in words):
        raise InvalidArgument(f"{keyword} {value!r}: expected key=value pairs")
    return words


def import_config(diff_id: str, section: dict[str, Any], message: str | None) -> bytes:
    """The config JSON bytes of an imported image; its sha256 is the image ID."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    comment = message or "Imported from -"
    document = {
        "architecture": host_architecture(),
        "os": "linux",
        "created": now,
        "comment": comment,
        "config": section,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": now, "comment": comment}],
    }
    return json.dumps(document, separators=(",", ":")).encode()
