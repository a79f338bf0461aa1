"""`docker commit --change`: Dockerfile instructions applied to a config, as dockerd's
BuildFromConfig does for the instructions it allows in a commit (pure)."""

from __future__ import annotations

import copy
import json
import posixpath
import re
import shlex
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.health import check_healthcheck
from tuibox.engine.services.containers.rules.start import parse_signal

COMMIT_INSTRUCTIONS = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD",
                       "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")  # fmt: skip
_NOT_ONBUILD = {"ONBUILD": "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                "FROM": "FROM isn't allowed as an ONBUILD trigger",
                "MAINTAINER": "MAINTAINER isn't allowed as an ONBUILD trigger"}  # fmt: skip
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
            "h": 3600 * 10**9}  # fmt: skip
_HEALTH_FLAGS = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
                 "start-interval": "StartInterval", "retries": "Retries"}  # fmt: skip
MAX_CHANGE_BYTES = 64 * 1024


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """A copy of `config` with each change applied in order.

    Raises:
        InvalidArgument: an instruction a commit does not take ("run is not a valid change
            command", as dockerd), or one that is malformed.
    """
    result: dict[str, Any] = copy.deepcopy(config)
    cmd_set = False
    for change in changes:
        if len(change) > MAX_CHANGE_BYTES:
            raise InvalidArgument(f"a change is longer than {MAX_CHANGE_BYTES} bytes")
        instruction, _, value = change.strip().partition(" ")
        keyword, value = instruction.upper(), value.strip()
        if not keyword:
            continue
        if keyword not in COMMIT_INSTRUCTIONS:
            raise InvalidArgument(f"{keyword.lower()} is not a valid change command")
        if not value:
            raise InvalidArgument(f"{keyword} requires at least one argument")
        cmd_set = _apply(result, keyword, value, cmd_set)
    return result


def _apply(config: dict[str, Any], keyword: str, value: str, cmd_set: bool) -> bool:
    """Apply one instruction; returns whether CMD has been set by the changes so far."""
    if keyword == "CMD":
        config["Cmd"] = command(value)
        return True
    if keyword == "ENTRYPOINT":
        config["Entrypoint"] = command(value)
        if not cmd_set:
            config["Cmd"] = None  # as in a Dockerfile: ENTRYPOINT resets an inherited CMD
    elif keyword == "ENV":
        for pair in _pairs(value, keyword):
            key = pair.partition("=")[0]
            env = [e for e in config.get("Env") or [] if e.partition("=")[0] != key]
            config["Env"] = [*env, pair]
    elif keyword == "LABEL":
        labels = config.get("Labels") or {}
        labels.update(dict(pair.partition("=")[::2] for pair in _pairs(value, keyword)))
        config["Labels"] = labels
    elif keyword == "EXPOSE":
        ports = config.get("ExposedPorts") or {}
        ports.update({_port(word): {} for word in value.split()})
        config["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        volumes = config.get("Volumes") or {}
        paths = _json_list(value) if value.startswith("[") else value.split()
        volumes.update({path: {} for path in paths or []})
        config["Volumes"] = volumes
    elif keyword == "WORKDIR":
        config["WorkingDir"] = posixpath.join("/", config.get("WorkingDir") or "/", value)
    elif keyword == "USER":
        config["User"] = value
    elif keyword == "STOPSIGNAL":
        parse_signal(value, 0)
        config["StopSignal"] = value
    elif keyword == "ONBUILD":
        trigger, _, rest = value.partition(" ")
        if trigger.upper() in _NOT_ONBUILD:
            raise InvalidArgument(_NOT_ONBUILD[trigger.upper()])
        config["OnBuild"] = [*(config.get("OnBuild") or []), f"{trigger.upper()} {rest}".strip()]
    else:
        config["Healthcheck"] = healthcheck(value)
    return cmd_set


def command(value: str) -> list[str]:
    """The exec form (a JSON array of strings) or the shell form, as a Dockerfile reads it."""
    parsed = _json_list(value) if value.startswith("[") else None
    return parsed if parsed is not None else ["/bin/sh", "-c", value]


def healthcheck(value: str) -> dict[str, Any]:
    """`NONE`, or `[--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D]
    [--retries=N] CMD <command>`."""
    if value.upper() == "NONE":
        return {"Test": ["NONE"]}
    check: dict[str, Any] = {}
    words = value.split(" ")
    while words and words[0].startswith("--"):
        name, _, given = words.pop(0)[2:].partition("=")
        if name not in _HEALTH_FLAGS:
            raise InvalidArgument(f"HEALTHCHECK: unknown flag: --{name}")
        key = _HEALTH_FLAGS[name]
        check[key] = _retries(given) if key == "Retries" else go_duration(given, f"--{name}")
    rest = " ".join(words).strip()
    kind, _, cmd = rest.partition(" ")
    if kind.upper() != "CMD" or not cmd.strip():
        raise InvalidArgument("Unknown type \"" + kind + "\" in HEALTHCHECK (try CMD)")
    exec_form = _json_list(cmd.strip()) if cmd.strip().startswith("[") else None
    check["Test"] = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", cmd.strip()]
    check_healthcheck(check)
    return check


def go_duration(text: str, flag: str) -> int:
    """Go's time.ParseDuration ("1m30s", "500ms"), in nanoseconds."""
    position, total = 0, 0.0
    while position < len(text):
        match = _DURATION.match(text, position)
        if match is None:
            raise InvalidArgument(f"HEALTHCHECK {flag}: invalid duration {text!r}")
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        position = match.end()
    if not text or text == "0":
        return 0
    if total >= 2**63:
        raise InvalidArgument(f"HEALTHCHECK {flag}: duration {text!r} is too long")
    return int(total)


def _retries(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise InvalidArgument(f"HEALTHCHECK --retries: {text!r} is not a number")
    return int(text)


def _json_list(value: str) -> list[str] | None:
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def _pairs(value: str, keyword: str) -> list[str]:
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise InvalidArgument(f"{keyword} {value!r}: {err}") from None
    if len(words) >= 2 and "=" not in words[0]:
        return [f"{words[0]}={' '.join(words[1:])}"]
    if not words or not all("=" in word and not word.startswith("=") for word in words):
        raise InvalidArgument(f"{keyword} {value!r}: expected key=value pairs")
    return words


def _port(word: str) -> str:
    if not re.fullmatch(r"[0-9]{1,5}(?:-[0-9]{1,5})?(?:/(?:tcp|udp|sctp))?", word, re.IGNORECASE):
        raise InvalidArgument(f"EXPOSE: invalid port {word!r}")
    return word.lower() if "/" in word else f"{word}/tcp"
