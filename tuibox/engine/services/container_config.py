"""Turns a Docker create body plus the image's config into the container's process settings."""

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
