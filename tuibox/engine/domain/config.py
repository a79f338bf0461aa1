"""Engine configuration: paths and the keys of Docker's daemon.json that apply, with defaults."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tuibox.engine.domain.errors import InvalidArgument

API_VERSION = "1.44"
MIN_API_VERSION = "1.24"
DEFAULT_SOCKET = Path("/run/tuibox/engine.sock")
DEFAULT_DATA_ROOT = Path("/var/lib/tuibox")
DEFAULT_EXEC_ROOT = Path("/run/tuibox")
DEFAULT_CONFIG_FILE = Path("/etc/tuibox/engine.json")


SUPPORTED_KEYS = frozenset({
    "registry-mirrors", "insecure-registries", "data-root", "exec-root", "cgroup-parent",
    "log-level", "debug", "live-restore", "storage-driver", "log-driver",
    "default-address-pools", "bip", "host-gateway-ip", "max-concurrent-downloads",
})  # fmt: skip
"""daemon.json keys the engine honours."""

ONLY_VALUES: dict[str, tuple[object, ...]] = {
    "live-restore": (True,),
    "storage-driver": ("overlay2",),
    "log-driver": ("json-file",),
}
"""Keys the engine honours with one value only: what it always does."""

DOCKER_KEYS = frozenset({
    "allow-direct-routing", "allow-nondistributable-artifacts", "api-cors-header",
    "authorization-plugins", "bip", "bip6", "bridge", "bridge-accept-fwmark", "builder",
    "cdi-spec-dirs", "cgroup-parent", "cluster-advertise", "cluster-store",
    "cluster-store-opts", "containerd", "containerd-namespace", "containerd-plugin-namespace",
    "containerd-plugins-namespace", "cpu-rt-period", "cpu-rt-runtime", "cri-containerd",
    "data-root", "debug", "default-address-pools", "default-cgroupns-mode", "default-gateway",
    "default-gateway-v6", "default-init", "default-ipc-mode", "default-network-opts",
    "default-runtime", "default-shm-size", "default-stop-timeout", "default-ulimits",
    "deprecated-key-path", "dns", "dns-opts", "dns-search", "exec-opts", "exec-root",
    "experimental", "features", "firewall-backend", "fixed-cidr", "fixed-cidr-v6", "graph",
    "group", "host-gateway-ip", "host-gateway-ips", "hosts", "icc", "init", "init-path",
    "insecure-registries", "ip", "ip-forward", "ip-forward-no-drop", "ip-masq", "ip6tables",
    "iptables", "ipv6", "labels", "live-restore", "log-driver", "log-format", "log-level",
    "log-opts", "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts",
    "metrics-addr", "min-api-version", "mtu", "network-control-plane-mtu",
    "network-diagnostic-port", "no-new-privileges", "node-generic-resources", "nri-opts",
    "oom-score-adjust", "pidfile", "proxies", "raw-logs", "registry-mirrors", "resolv-conf",
    "rootless", "runtimes", "seccomp-profile", "selinux-enabled", "shutdown-timeout",
    "storage-driver", "storage-opts", "swarm-default-advertise-addr",
    "swarm-raft-election-tick", "swarm-raft-heartbeat-tick", "tls", "tlscacert", "tlscert",
    "tlskey", "tlsverify", "userland-proxy", "userland-proxy-path", "userns-remap",
})  # fmt: skip
"""Every key dockerd's daemon.json accepts on Linux (releases 20.10 to 29)."""

TUIBOX_KEYS = frozenset({"tuibox-docker-config"})
"""The engine's own keys, which dockerd does not have: `tuibox-docker-config` names a docker
CLI config.json whose `auths` the engine logs into registries with."""


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know at start; every path is overridable for tests."""

    socket: Path = DEFAULT_SOCKET
    data_root: Path = DEFAULT_DATA_ROOT
    exec_root: Path = DEFAULT_EXEC_ROOT
    registry_mirrors: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    log_level: str = "info"
    cgroup_parent: str = "/tuibox"
    default_address_pools: tuple[tuple[str, int], ...] = ()
    """(base CIDR, subnet prefix length) pairs replacing Docker's built-in pools (empty: those)."""
    bip: str = ""
    """The default bridge's own address and prefix (`192.168.1.1/24`); empty = from the pools."""
    host_gateway_ip: str = ""
    max_concurrent_downloads: int = 3
    """Layers one pull fetches and unpacks at once (dockerd's key and default)."""
    """What `--add-host NAME:host-gateway` maps to; empty = the default bridge's gateway."""
    config_dir: Path = DEFAULT_CONFIG_FILE.parent
    """Where the config file is: the stored logins and certs.d/<host:port>/ live beside it."""
    docker_config: Path | None = None
    """A docker CLI config.json whose `auths` are used when a client sends no credentials."""


def load_config(
    config_file: Path | None,
    *,
    socket: Path | None = None,
    data_root: Path | None = None,
    exec_root: Path | None = None,
) -> EngineConfig:
    """Read the JSON config file (missing file = defaults) and apply command-line overrides.

    Raises:
        InvalidArgument: the file is not a JSON object or a key has the wrong type.
    """
    raw: dict[str, object] = {}
    path = config_file if config_file is not None else DEFAULT_CONFIG_FILE
    if path.exists():
        try:
            text = path.read_text()
            loaded = json.loads(text) if text.strip() else {}
        except (OSError, ValueError) as err:
            raise InvalidArgument(f"cannot read engine config {path}: {err}") from err
        if not isinstance(loaded, dict):
            raise InvalidArgument(f"engine config {path} must hold a JSON object")
        raw = loaded
    elif config_file is not None:
        raise InvalidArgument(f"engine config {path} does not exist")
    check_keys(raw, path)
    mirrors = [_mirror(m, path) for m in _string_list(raw, "registry-mirrors", path)]
    insecure = [_insecure(r, path) for r in _string_list(raw, "insecure-registries", path)]
    file_data_root = raw.get("data-root")
    if file_data_root is not None and not isinstance(file_data_root, str):
        raise InvalidArgument(f"engine config {path}: data-root must be a string")
    log_level = raw.get("log-level", "info")
    if not isinstance(log_level, str) or log_level.lower() not in LOG_LEVELS:
        raise InvalidArgument(
            f"engine config {path}: log-level must be one of {', '.join(LOG_LEVELS)}"
        )
    debug = raw.get("debug", False)
    if not isinstance(debug, bool):
        raise InvalidArgument(f"engine config {path}: debug must be true or false")
    file_exec_root = raw.get("exec-root")
    if file_exec_root is not None and not isinstance(file_exec_root, str):
        raise InvalidArgument(f"engine config {path}: exec-root must be a string")
    cgroup_parent = raw.get("cgroup-parent", "/tuibox")
    if not isinstance(cgroup_parent, str) or not cgroup_parent.strip("/"):
        raise InvalidArgument(f"engine config {path}: cgroup-parent must be a path like /tuibox")
    return EngineConfig(
        socket=socket or DEFAULT_SOCKET,
        data_root=data_root or (Path(file_data_root) if file_data_root else DEFAULT_DATA_ROOT),
        exec_root=exec_root or (Path(file_exec_root) if file_exec_root else DEFAULT_EXEC_ROOT),
        registry_mirrors=tuple(m.rstrip("/") for m in mirrors),
        insecure_registries=tuple(insecure),
        log_level="debug" if debug else log_level.lower(),
        cgroup_parent="/" + cgroup_parent.strip("/"),
        default_address_pools=_address_pools(raw.get("default-address-pools"), path),
        bip=_bip(raw.get("bip"), path),
        host_gateway_ip=_host_gateway_ip(raw.get("host-gateway-ip"), path),
        max_concurrent_downloads=_positive_int(raw, "max-concurrent-downloads", 3, path),
        config_dir=path.parent,
        docker_config=_docker_config(raw.get("tuibox-docker-config"), path),
    )


def _positive_int(raw: dict[str, object], key: str, default: int, path: Path) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise InvalidArgument(f"engine config {path}: {key} must be a whole number from 1 to 64")
    return value


def _string_list(raw: dict[str, object], key: str, path: Path) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"engine config {path}: {key} must be a list of strings")
    return list(value)


def _address_pools(value: object, path: Path) -> tuple[tuple[str, int], ...]:
    """daemon.json's `default-address-pools`: [{"base": "10.10.0.0/16", "size": 24}, ...]."""
    if value is None:
        return ()
    where = f"engine config {path}: default-address-pools"
    if not isinstance(value, list):
        raise InvalidArgument(f'{where} must be a list of {{"base", "size"}} objects')
    pools: list[tuple[str, int]] = []
    for index, pool in enumerate(value):
        if not isinstance(pool, dict) or set(pool) != {"base", "size"}:
            raise InvalidArgument(f'{where}: entry {index} must hold exactly "base" and "size"')
        base, size = pool["base"], pool["size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 32:
            raise InvalidArgument(f"{where}: entry {index}: size must be an integer from 1 to 32")
        try:
            network = ipaddress.ip_network(base) if isinstance(base, str) else None
        except ValueError:
            network = None
        if not isinstance(network, ipaddress.IPv4Network):
            raise InvalidArgument(
                f"{where}: entry {index}: base {base!r} is not an IPv4 network in CIDR form "
                "(such as 10.10.0.0/16; IPv6 is not supported by the tuibox engine yet)"
            )
        if network.prefixlen > size:
            raise InvalidArgument(
                f"{where}: network at index {index} ({base}) has a smaller prefix "
                f"(/{network.prefixlen}) than the target size of that pool (/{size})"
            )
        pools.append((str(network), size))
    return tuple(pools)


def _bip(value: object, path: Path) -> str:
    """daemon.json's `bip`: the default bridge's address with its prefix (192.168.1.1/24)."""
    if value is None or value == "":
        return ""
    try:
        interface = ipaddress.ip_interface(value) if isinstance(value, str) else None
    except ValueError:
        interface = None
    if not isinstance(interface, ipaddress.IPv4Interface) or "/" not in str(value):
        raise InvalidArgument(
            f"engine config {path}: bip {value!r} is not an IPv4 address with a prefix length, "
            "such as 192.168.1.1/24"
        )
    network = interface.network
    if network.prefixlen < 31 and interface.ip in (
        network.network_address, network.broadcast_address
    ):
        raise InvalidArgument(
            f"engine config {path}: bip {value} is the network's own address or its broadcast "
            f"address; give the bridge's address, such as {network.network_address + 1}/"
            f"{network.prefixlen}"
        )
    return str(interface)


LOG_LEVELS = ("debug", "info", "warn", "warning", "error", "fatal")


def check_keys(raw: dict[str, object], path: Path) -> None:
    """Refuse keys dockerd does not know, and dockerd's keys the engine does not honour.

    Raises:
        InvalidArgument: with dockerd's wording for unknown keys, and a list of the
            known but unsupported ones otherwise.
    """
    unknown = sorted(key for key in raw if key not in DOCKER_KEYS | TUIBOX_KEYS)
    if unknown:
        raise InvalidArgument(
            f"engine config {path}: the following directives don't match any configuration "
            f"option: {', '.join(unknown)}"
        )
    unsupported = sorted(key for key in raw if key not in SUPPORTED_KEYS | TUIBOX_KEYS)
    unsupported += sorted(
        f"{key}={json.dumps(raw[key])}"
        for key, allowed in ONLY_VALUES.items()
        if key in raw and not any(raw[key] == a and type(raw[key]) is type(a) for a in allowed)
    )
    if unsupported:
        raise InvalidArgument(
            f"engine config {path}: the following directives are not supported by the tuibox "
            f"engine yet: {', '.join(unsupported)}"
        )


_HOST_PORT = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?"  # name or IPv4 [:port]
    r"|\[[0-9a-fA-F:.]+\](:[0-9]{1,5})?"  # [IPv6][:port]
)


def _mirror(value: str, path: Path) -> str:
    """A mirror is an http(s) URL of a registry, as dockerd insists."""
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidArgument(
            f"engine config {path}: invalid mirror: {value!r} is not an http:// or https:// URL"
        )
    if parsed.query or parsed.fragment or parsed.path not in ("", "/"):
        raise InvalidArgument(
            f"engine config {path}: invalid mirror: {value!r} must be a bare registry URL"
        )
    return value


def _insecure(value: str, path: Path) -> str:
    """An insecure registry is host[:port] or a CIDR, as dockerd insists."""
    if "/" in value and "://" not in value:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise InvalidArgument(
                f"engine config {path}: insecure registry {value!r} is not a valid CIDR"
            ) from None
        return value
    if "://" in value or not _HOST_PORT.fullmatch(value):
        raise InvalidArgument(
            f"engine config {path}: insecure registry {value!r} is not host[:port] or a CIDR"
        )
    return value


def _host_gateway_ip(value: object, path: Path) -> str:
    """daemon.json's `host-gateway-ip`: one IPv4 or IPv6 address, as dockerd takes it."""
    if value is None or value == "":
        return ""
    try:
        address = ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        address = None
    if address is not None:
        return str(address)
    raise InvalidArgument(
        f"engine config {path}: host-gateway-ip {value!r} is not an IP address, "
        "such as 192.168.1.1"
    )


def _docker_config(value: object, path: Path) -> Path | None:
    """`tuibox-docker-config`: an absolute path to a docker CLI config.json, or unset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise InvalidArgument(
            f"engine config {path}: tuibox-docker-config must be an absolute path to a docker "
            "config.json, such as /root/.docker/config.json"
        )
    return Path(value)
