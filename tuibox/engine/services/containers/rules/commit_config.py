"""The Config of a committed image: the request's fields checked, then dockerd's merge (pure)."""

from __future__ import annotations

import copy
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.health import check_healthcheck

_STRINGS = ("Hostname", "Domainname", "User", "Image", "WorkingDir", "MacAddress", "StopSignal")
_BOOLS = ("AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce",
          "ArgsEscaped", "NetworkDisabled")  # fmt: skip
_STRING_LISTS = ("Env", "Cmd", "Entrypoint", "OnBuild", "Shell")
_SETS = ("ExposedPorts", "Volumes")
KNOWN_FIELDS = frozenset((*_STRINGS, *_BOOLS, *_STRING_LISTS, *_SETS, "Labels", "Healthcheck",
                          "StopTimeout"))  # fmt: skip


def check_config(config: dict[str, Any]) -> None:
    """Refuse a commit Config field that is unknown or of the wrong type, by name.

    Raises:
        InvalidArgument: naming the field.
    """
    for key, value in config.items():
        if key not in KNOWN_FIELDS:
            raise InvalidArgument(f"unknown field in the commit Config: {key}")
        if value is None:
            continue
        if key in _STRINGS and not isinstance(value, str):
            raise InvalidArgument(f"Config.{key} must be a string")
        if key in _BOOLS and not isinstance(value, bool):
            raise InvalidArgument(f"Config.{key} must be a boolean")
        if key in _STRING_LISTS and not _is_strings(value):
            raise InvalidArgument(f"Config.{key} must be a list of strings")
        if key in _SETS and not (isinstance(value, dict) and all(
                isinstance(v, dict) for v in value.values())):  # fmt: skip
            raise InvalidArgument(f"Config.{key} must be an object of empty objects")
        if key == "Labels" and not (isinstance(value, dict) and _is_strings(list(value.values()))):
            raise InvalidArgument("Config.Labels must be an object of strings")
        if key == "StopTimeout" and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidArgument("Config.StopTimeout must be an integer")
        if key == "Healthcheck":
            check_healthcheck(value)


def merge_configs(user: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    """dockerd's merge: the request's config completed from the container's, field by field."""
    merged = copy.deepcopy(user)
    base = copy.deepcopy(container)
    if not merged.get("User"):
        merged["User"] = base.get("User") or ""
    merged["ExposedPorts"] = {**(base.get("ExposedPorts") or {}), **(merged.get("ExposedPorts")
                                                                     or {})} or None  # fmt: skip
    env = list(merged.get("Env") or [])
    keys = {item.partition("=")[0] for item in env}
    merged["Env"] = env + [item for item in base.get("Env") or []
                           if item.partition("=")[0] not in keys]  # fmt: skip
    merged["Labels"] = {**(base.get("Labels") or {}), **(merged.get("Labels") or {})}
    if not merged.get("Entrypoint"):
        if not merged.get("Cmd"):
            merged["Cmd"] = base.get("Cmd")
            if "ArgsEscaped" in base:
                merged["ArgsEscaped"] = base["ArgsEscaped"]
        if merged.get("Entrypoint") is None:
            merged["Entrypoint"] = base.get("Entrypoint")
    merged["Healthcheck"] = _merge_health(merged.get("Healthcheck"), base.get("Healthcheck"))
    if not merged.get("WorkingDir"):
        merged["WorkingDir"] = base.get("WorkingDir") or ""
    merged["Volumes"] = {**(merged.get("Volumes") or {}), **(base.get("Volumes") or {})} or None
    if not merged.get("StopSignal") and base.get("StopSignal"):
        merged["StopSignal"] = base["StopSignal"]
    return {key: value for key, value in merged.items() if value is not None}


def _merge_health(user: Any, image: Any) -> Any:
    if not isinstance(image, dict):
        return user
    if not isinstance(user, dict):
        return image
    merged = dict(user)
    for key in ("Test", "Interval", "Timeout", "StartPeriod", "Retries"):
        if not merged.get(key):
            merged[key] = image.get(key)
    return {key: value for key, value in merged.items() if value is not None}


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
