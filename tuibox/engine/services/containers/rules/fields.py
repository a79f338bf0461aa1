"""Which create-body fields the engine honours, and the docker flag named when it refuses one.

The engine never drops what it was asked: a field it does not honour, given a value other
than the one every client sends when the flag was not used, is refused with a 400 that
names the flag. Honouring a new field means moving its line from NOT_YET to HONOURED (with
the code that honours it). Fields this table does not know are refused too, by name,
unless they carry a "not asked for" value: newer clients add fields.
"""

from __future__ import annotations

from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

HONOURED: dict[str, str] = {
    "Image": "IMAGE",
    "Cmd": "COMMAND",
    "Entrypoint": "--entrypoint",
    "Env": "-e/--env",
    "WorkingDir": "-w/--workdir",
    "User": "-u/--user",
    "Labels": "-l/--label",
    "Hostname": "-h/--hostname",
    "StopSignal": "--stop-signal",
    "StopTimeout": "--stop-timeout",
    "AttachStdout": "-a stdout",
    "AttachStderr": "-a stderr",
    "AttachStdin": "-i/--interactive (or -a stdin)",
    "Tty": "-t/--tty",
    "OpenStdin": "-i/--interactive",
    "StdinOnce": "-i/--interactive",
    "NetworkDisabled": "--network none",
    "ArgsEscaped": "(Windows only)",
    "OnBuild": "(image builds only)",
    "Shell": "(image builds only)",
    "Healthcheck": "--health-cmd",
    "HostConfig.AutoRemove": "--rm",
    "HostConfig.NetworkMode": "--network",
    "ExposedPorts": "--expose/-p",
    "NetworkingConfig.EndpointsConfig": "--network/--ip/--network-alias",
    "HostConfig.PortBindings": "-p/--publish",
    "HostConfig.PublishAllPorts": "-P/--publish-all",
    "HostConfig.LogConfig": "--log-driver",
    "HostConfig.RestartPolicy": "--restart",
    "HostConfig.IpcMode": "--ipc",
    "HostConfig.PidMode": "--pid",
    "HostConfig.UTSMode": "--uts",
    "HostConfig.UsernsMode": "--userns",
    "HostConfig.CgroupnsMode": "--cgroupns",
    "HostConfig.Isolation": "--isolation",
    "HostConfig.Runtime": "--runtime",
    "HostConfig.ConsoleSize": "(sent with -t)",
    "HostConfig.ContainerIDFile": "--cidfile",
    "HostConfig.PidsLimit": "--pids-limit",
    "HostConfig.Memory": "-m/--memory",
    "HostConfig.MemoryReservation": "--memory-reservation",
    "HostConfig.MemorySwap": "--memory-swap",
    "HostConfig.MemorySwappiness": "--memory-swappiness",
    "HostConfig.CpuShares": "-c/--cpu-shares",
    "HostConfig.NanoCpus": "--cpus",
    "HostConfig.CpuPeriod": "--cpu-period",
    "HostConfig.CpuQuota": "--cpu-quota",
    "HostConfig.CpusetCpus": "--cpuset-cpus",
    "HostConfig.CpusetMems": "--cpuset-mems",
    "HostConfig.BlkioWeight": "--blkio-weight",
    "Volumes": "-v/--volume",
    "HostConfig.Binds": "-v/--volume",
    "HostConfig.Mounts": "--mount",
    "HostConfig.VolumesFrom": "--volumes-from",
    "HostConfig.Tmpfs": "--tmpfs",
    "HostConfig.VolumeDriver": "--volume-driver",
    "HostConfig.Dns": "--dns",
    "HostConfig.DnsOptions": "--dns-option",
    "HostConfig.DnsSearch": "--dns-search",
    "HostConfig.ExtraHosts": "--add-host",
    "Domainname": "--domainname",
    "HostConfig.CapAdd": "--cap-add",
    "HostConfig.CapDrop": "--cap-drop",
    "HostConfig.Privileged": "--privileged",
    "HostConfig.SecurityOpt": "--security-opt",
    "HostConfig.ReadonlyRootfs": "--read-only",
    "HostConfig.MaskedPaths": "--security-opt systempaths=unconfined",
    "HostConfig.ReadonlyPaths": "--security-opt systempaths=unconfined",
    "HostConfig.GroupAdd": "--group-add",
    "HostConfig.Sysctls": "--sysctl",
    "HostConfig.OomScoreAdj": "--oom-score-adj",
    "HostConfig.ShmSize": "--shm-size",
    "HostConfig.Init": "--init",
    "HostConfig.Devices": "--device",
    "HostConfig.DeviceCgroupRules": "--device-cgroup-rule",
    "HostConfig.Ulimits": "--ulimit",
}
"""Fields the engine honours, within the values ALLOWED_VALUES lists for some of them."""

NOT_YET: dict[str, str] = {
    "MacAddress": "--mac-address",
    "HostConfig.StorageOpt": "--storage-opt",
    "HostConfig.Links": "--link",
    "HostConfig.Annotations": "--annotation",
    "HostConfig.Cgroup": "--cgroup",
    "HostConfig.CgroupParent": "--cgroup-parent",
    "HostConfig.KernelMemory": "--kernel-memory",
    "HostConfig.KernelMemoryTCP": "--kernel-memory-tcp",
    "HostConfig.OomKillDisable": "--oom-kill-disable",
    "HostConfig.CpuRealtimePeriod": "--cpu-rt-period",
    "HostConfig.CpuRealtimeRuntime": "--cpu-rt-runtime",
    "HostConfig.CpuCount": "--cpu-count (Windows only)",
    "HostConfig.CpuPercent": "--cpu-percent (Windows only)",
    "HostConfig.BlkioWeightDevice": "--blkio-weight-device",
    "HostConfig.BlkioDeviceReadBps": "--device-read-bps",
    "HostConfig.BlkioDeviceWriteBps": "--device-write-bps",
    "HostConfig.BlkioDeviceReadIOps": "--device-read-iops",
    "HostConfig.BlkioDeviceWriteIOps": "--device-write-iops",
    "HostConfig.IOMaximumIOps": "--io-maxiops (Windows only)",
    "HostConfig.IOMaximumBandwidth": "--io-maxbandwidth (Windows only)",
    "HostConfig.DeviceRequests": "--gpus",
}
"""Fields a later capability will honour; until then a value for one is refused."""

ALLOWED_VALUES: dict[str, tuple[Any, ...]] = {
    "HostConfig.LogConfig": ({"Type": "json-file"},),
    "HostConfig.PidMode": (),
    "HostConfig.UTSMode": (),
    "HostConfig.IpcMode": ("private",),
    "HostConfig.UsernsMode": ("host",),
    "HostConfig.CgroupnsMode": ("host", "private"),
    "HostConfig.Isolation": ("default",),
    "HostConfig.Runtime": ("crun",),
    "HostConfig.VolumeDriver": ("local",),
}
"""Besides "not asked for", the only values of these fields the engine can honour today."""

UNSET_VALUES: dict[str, tuple[Any, ...]] = {
    "HostConfig.MemorySwappiness": (None, -1),
    "HostConfig.MaskedPaths": (None,),
    "HostConfig.ReadonlyPaths": (None,),
}
"""Fields where 0 or [] is a real request: only these values mean "not asked for"."""

KEYED_MAPS = frozenset({
    "Labels", "ExposedPorts", "Volumes", "HostConfig.PortBindings", "HostConfig.Sysctls",
    "HostConfig.Tmpfs", "HostConfig.StorageOpt", "HostConfig.Annotations",
    "HostConfig.LogConfig.Config", "HostConfig.DeviceRequests.Options",
})  # fmt: skip
"""Objects whose keys are what was asked (a port, a path, a sysctl), not member names."""

VALUE_REFUSALS = {
    "HostConfig.LogConfig": "--log-opt",
}
"""How to name a refused value of a field whose other values are honoured, when the
flag that sets it differs from the one HONOURED names."""


ANY_VALUE = frozenset({
    "Image", "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Labels", "Hostname",
    "StopSignal", "StopTimeout", "AttachStdout", "AttachStderr", "AttachStdin", "Tty",
    "OpenStdin", "StdinOnce", "NetworkDisabled",
    "ArgsEscaped", "OnBuild", "Shell", "HostConfig.AutoRemove", "HostConfig.ConsoleSize",
    "HostConfig.ContainerIDFile", "HostConfig.PidsLimit", "HostConfig.Memory",
    "HostConfig.MemoryReservation", "HostConfig.MemorySwap", "HostConfig.MemorySwappiness",
    "HostConfig.CpuShares", "HostConfig.NanoCpus", "HostConfig.CpuPeriod", "HostConfig.CpuQuota",
    "HostConfig.CpusetCpus", "HostConfig.CpusetMems", "HostConfig.BlkioWeight", "Volumes",
    "HostConfig.Binds", "HostConfig.Mounts", "HostConfig.VolumesFrom", "HostConfig.Tmpfs",
    "Domainname", "HostConfig.CapAdd", "HostConfig.CapDrop", "HostConfig.Privileged",
    "HostConfig.SecurityOpt", "HostConfig.ReadonlyRootfs", "HostConfig.MaskedPaths",
    "HostConfig.ReadonlyPaths", "HostConfig.GroupAdd", "HostConfig.Sysctls",
    "HostConfig.OomScoreAdj", "HostConfig.ShmSize", "HostConfig.Init", "HostConfig.Devices",
    "HostConfig.DeviceCgroupRules", "HostConfig.Ulimits", "HostConfig.Dns",
    "HostConfig.DnsOptions", "HostConfig.DnsSearch", "HostConfig.ExtraHosts",
    "HostConfig.RestartPolicy", "Healthcheck", "HostConfig.NetworkMode", "ExposedPorts",
    "HostConfig.PortBindings", "HostConfig.PublishAllPorts", "NetworkingConfig.EndpointsConfig",
})  # fmt: skip
"""Honoured fields whose every value is honoured (the create rules check their types, and
rules/limits.py the limits' ranges, rules/mounts.py the mounts,
rules/security.py the isolation switches, rules/etc_files.py the /etc files)."""

_SECTIONS = ("HostConfig", "NetworkingConfig")
_SPELLINGS = {path.lower(): path for path in [*HONOURED, *NOT_YET, *_SECTIONS]}


def is_unset(value: Any, path: str = "") -> bool:
    """Whether a value is what clients send for a flag that was not given.

    null, false, 0, "" and empty lists and objects; lists of those (`ConsoleSize: [0, 0]`);
    settings objects whose every member is unset (`LogConfig: {"Type": "", "Config": {}}`).
    A map whose keys are the values (ExposedPorts, Volumes, Sysctls...) is unset only when
    empty: `{"80/tcp": {}}` asks for a port.
    """
    if value is None or value is False or value == 0 or value == "":
        return True
    if isinstance(value, list):
        return all(is_unset(item, path) for item in value)
    if isinstance(value, dict):
        if path in KEYED_MAPS:
            return not value
        return all(is_unset(item, f"{path}.{key}") for key, item in value.items())
    return False


def check_fields(body: dict[str, Any]) -> None:
    """Refuse every field of a create body that the engine would not honour.

    Raises:
        InvalidArgument: naming the docker flag, e.g. "--memory is not supported by the
            tuibox engine yet (HostConfig.Memory)".
    """
    for path, value in _fields(body):
        if path in UNSET_VALUES:
            if any(value == unset and type(value) is type(unset) for unset in UNSET_VALUES[path]):
                continue
        elif is_unset(value, path):
            continue
        if path in NOT_YET:
            raise InvalidArgument(
                f"{NOT_YET[path]} is not supported by the tuibox engine yet ({path})"
            )
        if path not in HONOURED:
            raise InvalidArgument(
                f"the create field {path} is not supported by the tuibox engine; "
                "leave it out of the request"
            )
        if path in ANY_VALUE or _allowed(path, value):
            continue
        raise InvalidArgument(f"{_refused_value(path, value)} is not supported by the tuibox "
                              f"engine yet ({path})")  # fmt: skip


def _refused_value(path: str, value: Any) -> str:
    """The flag and value as the user typed them: `--network bridge`, `--log-opt`."""
    if path == "HostConfig.LogConfig" and isinstance(value, dict):
        if not is_unset(value.get("Config"), f"{path}.Config"):
            return VALUE_REFUSALS[path]
    elif path in VALUE_REFUSALS:
        return VALUE_REFUSALS[path]
    return f"{HONOURED[path]} {_shown(value)}".strip()


def canonical_body(body: dict[str, Any]) -> dict[str, Any]:
    """The body with its known keys spelled as the table spells them.

    Docker decodes JSON keys without regard to case (`CPURealtimePeriod`, as docker-py
    sends it, is `CpuRealtimePeriod`), so a key in another case must count as the field,
    not be dropped as unknown. An exact spelling wins over another case of the same key.
    """
    result = _canonical_keys(body, "")
    for section in _SECTIONS:
        if isinstance(result.get(section), dict):
            result[section] = _canonical_keys(result[section], f"{section}.")
    return result


def _canonical_keys(fields: dict[str, Any], prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in fields.items():
        name = _SPELLINGS.get((prefix + key).lower(), prefix + key).removeprefix(prefix)
        if name not in result or name == key:
            result[name] = value
    return result


def _fields(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every field with its path, HostConfig first: `-p` sets ExposedPorts too, and the
    refusal should name what the user typed (-p), not what came along (--expose)."""
    fields: list[tuple[str, Any]] = []
    for section in _SECTIONS:
        inner = body.get(section)
        if isinstance(inner, dict):
            fields += [(f"{section}.{key}", value) for key, value in inner.items()]
        elif inner is not None:
            raise InvalidArgument(f"{section} must be an object")
    return fields + [(key, value) for key, value in body.items() if key not in _SECTIONS]


def _allowed(path: str, value: Any) -> bool:
    for allowed in ALLOWED_VALUES.get(path, ()):
        if isinstance(allowed, dict) and isinstance(value, dict):
            extra = {k: v for k, v in value.items() if k not in allowed}
            if all(value.get(k) == v for k, v in allowed.items()) and is_unset(extra, path):
                return True
        elif value == allowed and type(value) is type(allowed):
            return True
    return False


def _shown(value: Any) -> str:
    """The value as the user typed it after the flag, where that is a word."""
    if isinstance(value, dict):
        value = value.get("Name") or value.get("Type")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)[:64]
