"""Create-body rules: validation, merging with the image config, the HostConfig inspect shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.fields import check_fields
from tuibox.engine.services.containers.rules.health import check_healthcheck
from tuibox.engine.services.containers.rules.start import parse_signal

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
    if isinstance(value, str) and key != "Env":  # Cmd and Entrypoint may be one string
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
    # `--entrypoint ""` arrives as [""]: no entrypoint at all, not an empty program name.
    words = [w for w in entrypoint or [] if entrypoint != [""]] + (cmd or [])
    if not words:
        raise InvalidArgument("No command specified")
    env = merge_env(list(image_config.get("Env") or []), _string_list(body, "Env") or [])
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


def merge_env(image_env: list[str], given_env: list[str]) -> list[str]:
    merged: dict[str, str] = {}
    for entry in [*image_env, *given_env]:
        key, sep, _ = entry.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable: {entry!r}")
        if sep:
            merged[key] = entry
        else:  # a bare name (`-e NAME` with NAME unset on the client) unsets the variable
            merged.pop(key, None)
    if "PATH" not in merged:
        merged = {"PATH": DEFAULT_PATH, **merged}
    return list(merged.values())


MAX_ARG_BYTES = 128 * 1024 - 1
"""Longest single argument or environment entry: the kernel's MAX_ARG_STRLEN, less the NUL."""
MAX_EXEC_BYTES = 2 * 1024 * 1024
"""Arguments and environment together: what execve takes with the usual 8 MiB stack."""
MAX_PATH_BYTES = 4095
"""PATH_MAX less the NUL, for the working directory."""
MAX_HOSTNAME = 64
"""HOST_NAME_MAX: sethostname refuses longer names."""
MAX_LABELS_BYTES = 256 * 1024
"""All label keys and values together (Kubernetes caps annotations the same way)."""
MAX_SHORT_STRING = 256
"""User, StopSignal: longer values cannot be a user name, uid:gid or signal."""
_BOOLEANS = ("AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce")
_STRINGS = ("User", "WorkingDir", "Hostname", "Domainname", "StopSignal")
_KERNEL_STRINGS = ("Image", "User", "WorkingDir", "Hostname", "Domainname", "StopSignal")


def validate_create_body(body: dict[str, Any]) -> dict[str, Any]:
    """Check a create body: types, sizes, NUL bytes, and that every field can be honoured.

    Returns:
        The HostConfig section ({} when absent).

    Raises:
        InvalidArgument: a field of the wrong type or size, or one the engine does not
            honour, named in the message (with the docker flag for the latter).
    """
    image_ref = body.get("Image")
    if not isinstance(image_ref, str) or not image_ref:
        raise InvalidArgument("Config.Image is required: name the image to create from")
    _check_labels(body)
    for key in _BOOLEANS:
        _expect(body, key, bool, "true or false")
    for key in _STRINGS:
        _expect(body, key, str, "a string")
    _expect(body, "StopTimeout", int, "an integer")
    if not -(2**31) <= (body.get("StopTimeout") or 0) < 2**31:
        raise InvalidArgument("StopTimeout must be a number of seconds that fits 32 bits")
    for key in ("Cmd", "Entrypoint", "Env"):
        _string_list(body, key)
    for key in _KERNEL_STRINGS:
        _check_no_nul(key, [body.get(key) or ""])
    _check_sizes(body)
    if body.get("StopSignal"):
        parse_signal(body["StopSignal"], 0)
    host_config = body.get("HostConfig") or {}
    if not isinstance(host_config, dict):
        raise InvalidArgument("HostConfig must be an object")
    check_restart_policy(host_config.get("RestartPolicy"), bool(host_config.get("AutoRemove")))
    check_healthcheck(body.get("Healthcheck"))
    _expect(host_config, "AutoRemove", bool, "true or false", prefix="HostConfig.")
    if console_size(host_config) and not body.get("Tty"):
        raise InvalidArgument("HostConfig.ConsoleSize sizes a terminal: it needs Tty (-t)")
    _expect(host_config, "LogConfig", dict, "an object", prefix="HostConfig.")
    _expect(host_config, "NetworkMode", str, "a string", prefix="HostConfig.")
    _expect(body, "NetworkingConfig", dict, "an object")
    check_fields(body)
    return host_config


MAX_TERMINAL_SIDE = 65535


def console_size(host_config: dict[str, Any]) -> tuple[int, int] | None:
    """HostConfig.ConsoleSize as (rows, columns); None when unset or [0, 0].

    Raises:
        InvalidArgument: not a pair of sizes.
    """
    size = host_config.get("ConsoleSize")
    if size is None:
        return None
    if (not isinstance(size, list) or len(size) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_TERMINAL_SIDE
            for v in size)):  # fmt: skip
        raise InvalidArgument("HostConfig.ConsoleSize must be [height, width]")
    return (size[0], size[1]) if size[0] and size[1] else None


RESTART_POLICIES = ("", "no", "always", "unless-stopped", "on-failure")


def check_restart_policy(policy: Any, auto_remove: bool = False) -> None:
    """Docker's rules: a known name, a retry count for on-failure only, none with --rm.

    Raises:
        InvalidArgument: with Docker's words.
    """
    if policy is None:
        return
    if not isinstance(policy, dict):
        raise InvalidArgument("HostConfig.RestartPolicy must be an object")
    name = policy.get("Name") or ""
    retries = policy.get("MaximumRetryCount") or 0
    if name not in RESTART_POLICIES:
        raise InvalidArgument(f"invalid restart policy '{str(name)[:32]}'")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")
    if retries and name != "on-failure":
        raise InvalidArgument(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"
        )
    if auto_remove and name not in ("", "no"):
        raise InvalidArgument("Conflicting options: --restart and --rm")


def _check_labels(body: dict[str, Any]) -> None:
    _expect(body, "Labels", dict, "an object of strings")
    labels = body.get("Labels") or {}
    if not all(isinstance(v, str) for v in labels.values()):
        raise InvalidArgument("Labels must be an object of strings")
    _check_no_nul("Labels", [*labels, *labels.values()])
    size = sum(len(k.encode()) + len(v.encode()) for k, v in labels.items())
    if size > MAX_LABELS_BYTES:
        raise InvalidArgument(
            f"Labels take {size} bytes; the tuibox engine takes at most {MAX_LABELS_BYTES}"
        )


def _check_sizes(body: dict[str, Any]) -> None:
    words = [w for key in ("Entrypoint", "Cmd", "Env") for w in _string_list(body, key) or []]
    for key in ("Entrypoint", "Cmd", "Env"):
        values = _string_list(body, key) or []
        _check_no_nul(key, values)
        if any(len(v.encode()) > MAX_ARG_BYTES for v in values):
            raise InvalidArgument(
                f"{key} has an entry longer than {MAX_ARG_BYTES} bytes, the kernel's limit "
                "for one argument or variable"
            )
    total = sum(len(w.encode()) + 1 + 8 for w in words)
    if total > MAX_EXEC_BYTES:
        raise InvalidArgument(
            f"the command and environment take {total} bytes; the kernel runs at most "
            f"{MAX_EXEC_BYTES} (argument list too long)"
        )
    limits = {"WorkingDir": MAX_PATH_BYTES, "Hostname": MAX_HOSTNAME, "Domainname": MAX_HOSTNAME,
              "User": MAX_SHORT_STRING, "StopSignal": MAX_SHORT_STRING}  # fmt: skip
    for key, limit in limits.items():
        value = body.get(key) or ""
        if len(value.encode()) > limit:
            raise InvalidArgument(f"{key} is longer than {limit} bytes")


def _check_no_nul(key: str, values: list[str]) -> None:
    if any("\0" in value for value in values):
        raise InvalidArgument(f"{key} must not contain NUL bytes")


def _expect(fields: dict[str, Any], key: str, kind: type, wording: str, prefix: str = "") -> None:
    value = fields.get(key)
    if value is None:
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidArgument(f"{prefix}{key} must be {wording}")


def normalise_host_config(given: dict[str, Any]) -> dict[str, Any]:
    """The HostConfig as inspect shows it: defaults filled in (the default bridge network)."""
    host_config = dict(given)
    log_config = host_config.get("LogConfig") or {}
    if not log_config.get("Type"):
        host_config["LogConfig"] = {"Type": "json-file", "Config": {}}
    if host_config.get("NetworkMode") in (None, "", "default"):
        host_config["NetworkMode"] = "bridge"
    host_config.setdefault("RestartPolicy", {"Name": "no", "MaximumRetryCount": 0})
    host_config["AutoRemove"] = bool(host_config.get("AutoRemove"))
    return host_config
