"""Create-body rules: validation, merging with the image config, the HostConfig inspect shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class ProcessSettings:
    """The merged command, environment and working directory of a new container."""

    path: str
    args: list[str]
    env: list[str]
    working_dir: str
    entrypoint: list[str] | None
    cmd: list[str] | None


def _string_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{key} must be a list of strings")
    return list(value)


def merge_process(body: dict[str, Any], image_config: dict[str, Any]) -> ProcessSettings:
    """Apply Docker's rules: a given Entrypoint drops the image's Cmd; Env merges by key.

    Raises:
        InvalidArgument: a field has the wrong type, or no command results at all.
    """
    entrypoint = _string_list(body, "Entrypoint")
    cmd = _string_list(body, "Cmd")
    if entrypoint is None:
        entrypoint = list(image_config.get("Entrypoint") or []) or None
        if cmd is None:
            cmd = list(image_config.get("Cmd") or []) or None
    words = (entrypoint or []) + (cmd or [])
    if not words:
        raise InvalidArgument("No command specified")
    env = _merge_env(list(image_config.get("Env") or []), _string_list(body, "Env") or [])
    working_dir = body.get("WorkingDir") or image_config.get("WorkingDir") or ""
    if not isinstance(working_dir, str):
        raise InvalidArgument("WorkingDir must be a string")
    if working_dir and not working_dir.startswith("/"):
        raise InvalidArgument(
            f"the working directory '{working_dir}' is invalid, it needs to be an absolute path"
        )
    return ProcessSettings(
        path=words[0],
        args=words[1:],
        env=env,
        working_dir=working_dir,
        entrypoint=entrypoint,
        cmd=cmd,
    )


def _merge_env(image_env: list[str], given_env: list[str]) -> list[str]:
    merged: dict[str, str] = {}
    for entry in [*image_env, *given_env]:
        key = entry.split("=", 1)[0]
        if not key:
            raise InvalidArgument(f"invalid environment variable: {entry!r}")
        merged[key] = entry
    if "PATH" not in merged:
        merged = {"PATH": DEFAULT_PATH, **merged}
    return list(merged.values())


def validate_create_body(body: dict[str, Any]) -> dict[str, Any]:
    """Check the fields of a create body this engine uses; returns the HostConfig.

    Raises:
        InvalidArgument: a field of the wrong type, named in the message.
    """
    image_ref = body.get("Image")
    if not isinstance(image_ref, str) or not image_ref:
        raise InvalidArgument("Config.Image is required: name the image to create from")
    if body.get("Tty") or body.get("OpenStdin"):
        raise InvalidArgument(
            "interactive containers (-i, -t) are not supported by the tuibox engine yet; "
            "run without -i and -t"
        )
    _expect(body, "Labels", dict, "an object of strings")
    if not all(isinstance(v, str) for v in (body.get("Labels") or {}).values()):
        raise InvalidArgument("Labels must be an object of strings")
    for key in ("User", "WorkingDir", "Hostname", "StopSignal"):
        _expect(body, key, str, "a string")
    _expect(body, "StopTimeout", int, "an integer")
    host_config = body.get("HostConfig") or {}
    if not isinstance(host_config, dict):
        raise InvalidArgument("HostConfig must be an object")
    _expect(host_config, "AutoRemove", bool, "true or false", prefix="HostConfig.")
    _expect(host_config, "LogConfig", dict, "an object", prefix="HostConfig.")
    _expect(host_config, "NetworkMode", str, "a string", prefix="HostConfig.")
    return host_config


def _expect(fields: dict[str, Any], key: str, kind: type, wording: str, prefix: str = "") -> None:
    value = fields.get(key)
    if value is None:
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidArgument(f"{prefix}{key} must be {wording}")


def normalise_host_config(given: dict[str, Any]) -> dict[str, Any]:
    """The HostConfig as inspect shows it: defaults filled in, networking loopback only."""
    host_config = dict(given)
    log_config = host_config.get("LogConfig") or {}
    if not log_config.get("Type"):
        host_config["LogConfig"] = {"Type": "json-file", "Config": {}}
    if host_config.get("NetworkMode") in (None, "", "default", "bridge"):
        host_config["NetworkMode"] = "none"
    host_config.setdefault("RestartPolicy", {"Name": "no", "MaximumRetryCount": 0})
    host_config["AutoRemove"] = bool(host_config.get("AutoRemove"))
    return host_config
