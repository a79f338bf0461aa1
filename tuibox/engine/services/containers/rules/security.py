"""Isolation switches: capabilities, --privileged, --security-opt, --read-only, sysctls, ulimits,
devices, --init, --group-add, --oom-score-adj, --shm-size, --cgroupns (pure).

`security_settings` turns a HostConfig into what the OCI config needs, with Docker's rules and
words; what the host cannot grant (a capability the engine itself lacks, a ulimit above its
hard limit) is refused by name, never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tuibox.engine.domain.capabilities import ALL_CAPABILITIES
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES, SHM_SIZE
from tuibox.engine.services.containers.rules.values import string_list

ULIMITS = {
    "as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
    "fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}  # fmt: skip
"""Docker's ulimit names and the kernel's."""

NAMESPACED_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
NAMESPACED_PREFIXES = ("fs.mqueue.", "net.")
"""The sysctls a container's own namespaces hold (Docker's list); the rest are the host's."""
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$")
_DEVICE_RULE = re.compile(r"^([acb]) (\*|[0-9]+):(\*|[0-9]+) ([rwm]{1,3})$")
_GROUP = re.compile(r"^[a-zA-Z0-9_.][a-zA-Z0-9_.-]*$")
MAX_OOM_SCORE_ADJ = 1000


@dataclass(frozen=True)
class DeviceRequest:
    """A host device the container gets (`--device host[:container][:perms]`)."""

    path_on_host: str
    path_in_container: str
    permissions: str = "rwm"


@dataclass(frozen=True)
class SecuritySettings:
    """The isolation of one container, ready for its OCI config."""

    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: str = "default"
    """"default" (Docker's profile for these capabilities), "unconfined" or "custom"."""
    seccomp_profile: dict[str, Any] | None = None
    masked_paths: tuple[str, ...] | None = None
    """None: Docker's masked paths; () when unconfined or privileged."""
    readonly_paths: tuple[str, ...] | None = None
    readonly_rootfs: bool = False
    shm_size: int = SHM_SIZE
    sysctls: dict[str, str] = field(default_factory=dict)
    ulimits: tuple[tuple[str, int, int], ...] = ()
    oom_score_adj: int = 0
    group_add: tuple[str, ...] = ()
    cgroup_namespace: bool = False
    devices: tuple[DeviceRequest, ...] = ()
    device_rules: tuple[tuple[str, int | None, int | None, str], ...] = ()
    init: bool = False


def security_settings(
    host_config: dict[str, Any],
    *,
    grantable: Sequence[str],
    hard_limits: dict[str, int],
) -> SecuritySettings:
    """Docker's isolation for a HostConfig.

    Args:
        host_config: The create body's HostConfig.
        grantable: The capabilities the engine holds itself (its bounding set): no
            container can have more.
        hard_limits: The engine's hard rlimit per Docker ulimit name (-1: unlimited).

    Raises:
        InvalidArgument: an unknown capability, one the engine cannot grant, a bad
            --security-opt, a host sysctl, a ulimit above the host's, a bad device rule.
    """
    privileged = _bool(host_config, "Privileged")
    capabilities = _capabilities(host_config, grantable, privileged)
    options = _security_options(host_config.get("SecurityOpt"))
    seccomp, profile = "default", None
    if privileged:
        seccomp = "unconfined"
    if "seccomp" in options:
        value = options["seccomp"]
        if value == "unconfined":
            seccomp = "unconfined"
        elif not privileged:
            seccomp, profile = "custom", _seccomp_profile(value)
    masked = _paths(host_config, "MaskedPaths")
    readonly = _paths(host_config, "ReadonlyPaths")
    if privileged:
        masked, readonly = (), ()
    return SecuritySettings(
        capabilities=capabilities,
        privileged=privileged,
        no_new_privileges=options.get("no-new-privileges", "false") == "true",
        seccomp=seccomp,
        seccomp_profile=profile,
        masked_paths=masked,
        readonly_paths=readonly,
        readonly_rootfs=_bool(host_config, "ReadonlyRootfs"),
        shm_size=_shm_size(host_config.get("ShmSize")),
        sysctls=_sysctls(host_config.get("Sysctls")),
        ulimits=_ulimits(host_config.get("Ulimits"), hard_limits),
        oom_score_adj=_oom_score_adj(host_config.get("OomScoreAdj")),
        group_add=_groups(host_config.get("GroupAdd")),
        cgroup_namespace=host_config.get("CgroupnsMode") == "private",
        devices=_devices(host_config.get("Devices")),
        device_rules=_device_rules(host_config.get("DeviceCgroupRules")),
        init=_bool(host_config, "Init"),
    )


def _bool(host_config: dict[str, Any], key: str) -> bool:
    value = host_config.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"HostConfig.{key} must be true or false")
    return bool(value)


def normalise_capability(name: str) -> str:
    """CAP_ in front, upper case: "net_admin" is CAP_NET_ADMIN."""
    upper = name.strip().upper()
    return upper if upper.startswith("CAP_") or upper == "ALL" else f"CAP_{upper}"


def _capabilities(
    host_config: dict[str, Any], grantable: Sequence[str], privileged: bool
) -> tuple[str, ...]:
    adds = [normalise_capability(c) for c in string_list(host_config.get("CapAdd"), "CapAdd")]
    drops = [normalise_capability(c) for c in string_list(host_config.get("CapDrop"), "CapDrop")]
    for name in (*adds, *drops):
        if name != "ALL" and name not in ALL_CAPABILITIES:
            raise InvalidArgument(f"unknown capability: {name!r}")
    held = [cap for cap in ALL_CAPABILITIES if cap in set(grantable)]
    if privileged:
        return tuple(held)
    if "ALL" in drops:
        chosen = [cap for cap in ALL_CAPABILITIES if cap in adds]
    elif "ALL" in adds:
        chosen = [cap for cap in held if cap not in drops]
    else:
        wanted = set(DEFAULT_CAPABILITIES) | set(adds)
        chosen = [cap for cap in ALL_CAPABILITIES if cap in wanted and cap not in drops]
    missing = [cap for cap in chosen if cap not in set(grantable)]
    if missing:
        raise InvalidArgument(
            f"--cap-add {missing[0]}: the engine does not hold {missing[0]} itself (it is not "
            "in its bounding set), so it cannot give it to a container"
        )
    return tuple(chosen)


def _security_options(value: Any) -> dict[str, str]:
    options: dict[str, str] = {}
    for raw in string_list(value, "SecurityOpt"):
        if raw in ("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"):
            options["no-new-privileges"] = "true"
            continue
        if raw in ("no-new-privileges=false", "no-new-privileges:false"):
            options["no-new-privileges"] = "false"
            continue
        key, sep, rest = raw.partition("=")
        if not sep:
            key, sep, rest = raw.partition(":")
        if key == "seccomp" and sep and rest:
            options["seccomp"] = rest
        elif key == "apparmor" and rest == "unconfined":
            continue  # this host has no AppArmor profile to leave
        elif key == "label" and rest == "disable":
            continue  # no SELinux labels on this host: there is nothing to disable
        elif key in ("apparmor", "label"):
            raise InvalidArgument(
                f"--security-opt {raw[:64]} is not supported by the tuibox engine: it "
                f"applies no {'AppArmor' if key == 'apparmor' else 'SELinux'} profiles"
            )
        else:
            raise InvalidArgument(f"Invalid --security-opt: {raw[:64]!r}")
    return options


def _seccomp_profile(text: str) -> dict[str, Any]:
    """A custom profile, as the docker CLI sends it: the file's JSON content."""
    try:
        profile = json.loads(text)
    except ValueError as err:
        raise InvalidArgument(f"Decoding seccomp profile failed: {err}") from err
    if not isinstance(profile, dict) or not isinstance(profile.get("defaultAction"), str):
        raise InvalidArgument("Decoding seccomp profile failed: defaultAction is missing")
    syscalls = profile.get("syscalls") or []
    if not isinstance(syscalls, list) or not all(
        isinstance(rule, dict) and isinstance(rule.get("names", rule.get("name")), list | str)
        for rule in syscalls
    ):
        raise InvalidArgument("Decoding seccomp profile failed: syscalls must be a list of rules")
    return profile


def _paths(host_config: dict[str, Any], key: str) -> tuple[str, ...] | None:
    value = host_config.get(key)
    if value is None:
        return None
    paths = string_list(value, key)
    if any(not p.startswith("/") for p in paths):
        raise InvalidArgument(f"HostConfig.{key} must hold absolute paths")
    return tuple(paths)


def _shm_size(value: Any) -> int:
    if value is None or value == 0:
        return SHM_SIZE
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgument("SHM size can not be less than 0")
    if value >= 2**63:
        raise InvalidArgument("HostConfig.ShmSize does not fit 64 bits")
    return value


def _sysctls(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidArgument("HostConfig.Sysctls must be an object of strings")
    for name in value:
        if not _SYSCTL_NAME.match(name):
            raise InvalidArgument(f"sysctl '{name[:64]}' is not a sysctl name")
        if name not in NAMESPACED_SYSCTLS and not name.startswith(NAMESPACED_PREFIXES):
            raise InvalidArgument(
                f"sysctl '{name}' is not allowed: it is not namespaced, so it would change "
                "the host (only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and net.* "
                "are per container)"
            )
    return dict(value)


def _ulimits(value: Any, hard_limits: dict[str, int]) -> tuple[tuple[str, int, int], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(u, dict) for u in value):
        raise InvalidArgument("HostConfig.Ulimits must be a list of objects")
    result: list[tuple[str, int, int]] = []
    for entry in value:
        name, soft, hard = entry.get("Name"), entry.get("Soft"), entry.get("Hard")
        if name not in ULIMITS:
            raise InvalidArgument(f"invalid ulimit type: {str(name)[:32]}")
        for number in (soft, hard):
            if not isinstance(number, int) or isinstance(number, bool) or not -1 <= number < 2**63:
                raise InvalidArgument(f"invalid ulimit {name}: soft and hard must be numbers")
        assert isinstance(soft, int) and isinstance(hard, int)
        if hard != -1 and (soft == -1 or soft > hard):
            raise InvalidArgument(
                f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            )
        host = hard_limits.get(name, -1)
        if host != -1 and (hard == -1 or hard > host):
            raise InvalidArgument(
                f"--ulimit {name}={soft}:{hard} is above the host's hard limit of {host}; "
                f"the engine cannot raise it"
            )
        result.append((ULIMITS[name], soft, hard))
    return tuple(result)


def _oom_score_adj(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not (
            -MAX_OOM_SCORE_ADJ <= value <= MAX_OOM_SCORE_ADJ):  # fmt: skip
        raise InvalidArgument("Invalid value: oom score adj must be in range [-1000, 1000]")
    return value


def _groups(value: Any) -> tuple[str, ...]:
    groups = string_list(value, "GroupAdd")
    for group in groups:
        if not _GROUP.match(group) or len(group) > 64:
            raise InvalidArgument(f"invalid group name or id: {group[:64]!r}")
    return tuple(groups)


def _devices(value: Any) -> tuple[DeviceRequest, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
        raise InvalidArgument("HostConfig.Devices must be a list of objects")
    result: list[DeviceRequest] = []
    for entry in value:
        host, inside = entry.get("PathOnHost"), entry.get("PathInContainer") or entry.get(
            "PathOnHost")  # fmt: skip
        permissions = entry.get("CgroupPermissions") or "rwm"
        if not isinstance(host, str) or not host.startswith("/"):
            raise InvalidArgument("--device needs an absolute host path")
        if not isinstance(inside, str) or not inside.startswith("/"):
            raise InvalidArgument(f"--device {host}: the path in the container must be absolute")
        if not isinstance(permissions, str) or not re.fullmatch(r"[rwm]{1,3}", permissions):
            raise InvalidArgument(f"invalid device permissions {str(permissions)[:8]!r}: "
                                  "use r, w and m")  # fmt: skip
        result.append(DeviceRequest(host, inside, permissions))
    return tuple(result)


def _device_rules(value: Any) -> tuple[tuple[str, int | None, int | None, str], ...]:
    rules: list[tuple[str, int | None, int | None, str]] = []
    for rule in string_list(value, "DeviceCgroupRules"):
        match = _DEVICE_RULE.match(rule)
        if match is None:
            raise InvalidArgument(f"invalid device cgroup format '{rule[:64]}'")
        kind, major, minor, access = match.groups()
        rules.append((kind, None if major == "*" else int(major),
                      None if minor == "*" else int(minor), access))  # fmt: skip
    return tuple(rules)
