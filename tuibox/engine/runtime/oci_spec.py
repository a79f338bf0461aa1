"""Build an OCI runtime config.json the way Docker does for a default container (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_VERSION = "1.0.2"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's default capability set: bounding = permitted = effective; inheritable and ambient empty.
DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

MASKED_PATHS: tuple[str, ...] = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
)

READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

SHM_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True)
class RuntimeSpec:
    """What the runtime needs to know about one container to write its config.json."""

    container_id: str
    rootfs: Path
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    hostname: str
    cgroup_path: str
    nofile_limit: int
    terminal: bool = False
    console_size: tuple[int, int] | None = None
    """(rows, columns) of the terminal at start; without it crun leaves it 0x0."""
    host_network: bool = False
    """--network host: no network namespace of its own, so no net.* sysctls either."""
    network_namespace: str = ""
    """--network container:<x>: the namespace to join (/proc/<pid>/ns/net); else a new one."""
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    home: str = "/root"
    cgroup_namespace: bool = False
    extra_masked_paths: tuple[str, ...] = ()
    seccomp: dict[str, Any] | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    """OCI linux.resources members besides devices: memory, cpu, pids, blockIO."""
    mounts: tuple[dict[str, Any], ...] = ()
    """The user's OCI mounts (binds, volumes, tmpfs); one on a default's path replaces it."""
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    """Bounding, permitted and effective (inheritable and ambient stay empty)."""
    privileged: bool = False
    """Every device allowed, /sys and the cgroup tree writable (with `devices` from the host)."""
    no_new_privileges: bool = False
    masked_paths: tuple[str, ...] | None = None
    """None: Docker's (MASKED_PATHS and `extra_masked_paths`)."""
    readonly_paths: tuple[str, ...] | None = None
    """None: Docker's READONLY_PATHS."""
    readonly_rootfs: bool = False
    shm_size: int = SHM_SIZE
    sysctls: dict[str, str] = field(default_factory=dict)
    rlimits: tuple[tuple[str, int, int], ...] = ()
    """(RLIMIT_*, soft, hard) beyond RLIMIT_NOFILE's default; -1 is unlimited."""
    oom_score_adj: int = 0
    devices: tuple[dict[str, Any], ...] = ()
    """OCI linux.devices entries (each also allowed in the device cgroup)."""
    device_rules: tuple[dict[str, Any], ...] = ()
    """Extra OCI device cgroup rules (`--device-cgroup-rule`)."""
    domainname: str = ""


def build_oci_config(spec: RuntimeSpec) -> dict[str, Any]:
    """Return the OCI config.json for ``spec`` with Docker's default security profile.

    Args:
        spec: the container's process, rootfs, cgroup and limits.

    Returns:
        A JSON-serialisable dict following the OCI runtime spec.
    """
    return {
        "ociVersion": OCI_VERSION,
        "process": _process(spec),
        "root": {"path": str(spec.rootfs), "readonly": spec.readonly_rootfs},
        "hostname": spec.hostname,
        **({"domainname": spec.domainname} if spec.domainname else {}),
        "mounts": with_user_mounts(_mounts(spec), spec.mounts),
        "linux": _linux(spec),
    }


def container_env(spec: RuntimeSpec) -> list[str]:
    """Return the environment as Docker gives it: PATH, HOSTNAME, the user's, HOME.

    Args:
        spec: the container spec whose ``env`` holds the image's and the user's ``K=V`` pairs.
    """
    keys = {item.split("=", 1)[0] for item in spec.env}
    env: list[str] = []
    if "PATH" not in keys:
        env.append(DEFAULT_PATH_ENV)
    if "HOSTNAME" not in keys:
        env.append(f"HOSTNAME={spec.hostname}")
    if spec.terminal and "TERM" not in keys:
        env.append("TERM=xterm")
    env.extend(spec.env)
    if "HOME" not in keys:
        env.append(f"HOME={spec.home}")
    return env


def host_thermal_throttle_paths(sys_root: Path = Path("/sys")) -> tuple[str, ...]:
    """Return the per-CPU ``thermal_throttle`` dirs present on this host (masked by Docker).

    Args:
        sys_root: where sysfs is mounted; tests pass a fixture tree.
    """
    cpu_dir = sys_root / "devices/system/cpu"
    found = sorted(cpu_dir.glob("cpu[0-9]*/thermal_throttle"))
    return tuple("/sys/" + str(path.relative_to(sys_root)) for path in found)


def _user(spec: RuntimeSpec) -> dict[str, Any]:
    user: dict[str, Any] = {"uid": spec.uid, "gid": spec.gid}
    if spec.additional_gids:
        user["additionalGids"] = list(spec.additional_gids)
    return user


def _rlimits(spec: RuntimeSpec) -> list[dict[str, Any]]:
    limits = {"RLIMIT_NOFILE": (spec.nofile_limit, spec.nofile_limit)}
    for kind, soft, hard in spec.rlimits:
        limits[kind] = (soft, hard)
    # -1 is RLIM_INFINITY, which the OCI spec writes as the largest uint64.
    return [{"type": kind, "soft": soft if soft >= 0 else 2**64 - 1,
             "hard": hard if hard >= 0 else 2**64 - 1}
            for kind, (soft, hard) in limits.items()]  # fmt: skip


def _process(spec: RuntimeSpec) -> dict[str, Any]:
    caps = list(spec.capabilities)
    sized: dict[str, Any] = {}
    if spec.terminal and spec.console_size is not None:
        sized["consoleSize"] = {"height": spec.console_size[0], "width": spec.console_size[1]}
    return {
        "terminal": spec.terminal,
        **sized,
        "user": _user(spec),
        "args": list(spec.args),
        "env": container_env(spec),
        "cwd": spec.cwd or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "rlimits": _rlimits(spec),
        "noNewPrivileges": spec.no_new_privileges,
        # conmon runs at -999; without an explicit value the container would inherit it.
        "oomScoreAdj": spec.oom_score_adj,
    }


def _mounts(spec: RuntimeSpec) -> list[dict[str, Any]]:
    system = "rw" if spec.privileged else "ro"
    return [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", system]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": [system, "nosuid", "noexec", "nodev"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", f"size={spec.shm_size}"]},
    ]  # fmt: skip


def with_user_mounts(
    defaults: list[dict[str, Any]], user: tuple[dict[str, Any], ...]
) -> list[dict[str, Any]]:
    """Docker's order: the defaults not overridden, then the user's, parents before children."""
    taken = {mount["destination"] for mount in user}
    kept = [mount for mount in defaults if mount["destination"] not in taken]
    ordered = sorted(user, key=lambda mount: mount["destination"].rstrip("/").count("/"))
    return kept + ordered


PRIVATE_NETWORK_SYSCTLS = {
    "net.ipv4.ip_unprivileged_port_start": "0",
    "net.ipv4.ping_group_range": "0 2147483647",
}
"""Docker's for a container with a network namespace of its own (shared ones keep the
owner's; the host's are never written)."""


def _device_rule(allow: bool, major: int | None = None, minor: int | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"allow": allow, "access": "rwm"}
    if major is not None:
        rule.update(type="c", major=major, minor=minor)
    return rule


def _linux(spec: RuntimeSpec) -> dict[str, Any]:
    namespaces: list[dict[str, str]] = [{"type": kind} for kind in ("mount", "uts", "pid", "ipc")]
    if spec.network_namespace:
        namespaces.insert(1, {"type": "network", "path": spec.network_namespace})
    elif not spec.host_network:
        namespaces.insert(1, {"type": "network"})
    if spec.cgroup_namespace:
        namespaces.append({"type": "cgroup"})
    if spec.privileged:
        rules = [_device_rule(True)]
    else:
        rules = [
            _device_rule(False),
            _device_rule(True, 1, 5),  # /dev/zero
            _device_rule(True, 1, 3),  # /dev/null
            _device_rule(True, 1, 9),  # /dev/urandom
            _device_rule(True, 1, 8),  # /dev/random
            _device_rule(True, 5, 0),  # /dev/tty
            _device_rule(True, 5, 1),  # /dev/console
            _device_rule(False, 10, 229),  # /dev/fuse
            *spec.device_rules,
        ]
    masked = spec.masked_paths
    linux: dict[str, Any] = {
        "namespaces": namespaces,
        "devices": list(spec.devices),
        "resources": {"devices": rules, **spec.resources},
        "cgroupsPath": spec.cgroup_path,
        "sysctl": {
            **({} if spec.host_network or spec.network_namespace else PRIVATE_NETWORK_SYSCTLS),
            **spec.sysctls,
        },
        "maskedPaths": [*MASKED_PATHS, *spec.extra_masked_paths] if masked is None
        else list(masked),
        "readonlyPaths": list(READONLY_PATHS if spec.readonly_paths is None
                              else spec.readonly_paths),
    }  # fmt: skip
    if spec.seccomp is not None:
        linux["seccomp"] = spec.seccomp
    return linux
