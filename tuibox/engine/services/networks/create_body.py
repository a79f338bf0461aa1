"""Read a POST /networks/create body into what the engine honours, refusing the rest by name."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from tuibox.engine.domain.errors import Forbidden, InvalidArgument
from tuibox.engine.domain.network import DEFAULT_MTU
from tuibox.engine.network.ipam import validate_ipam

MTU_OPTION = "com.docker.network.driver.mtu"
HONOURED_OPTIONS = frozenset({MTU_OPTION})
"""Driver options (`docker network create -o`) the engine acts on; others are refused."""
FIELDS = frozenset({
    "Name", "Driver", "Scope", "EnableIPv4", "EnableIPv6", "IPAM", "Internal", "Attachable",
    "Ingress", "ConfigOnly", "ConfigFrom", "Options", "Labels", "CheckDuplicate",
})  # fmt: skip
PREDEFINED_NAMES = ("bridge", "host", "none", "default")
"""Names dockerd will not create a network under (`default` means the bridge)."""
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
MAX_NAME = 255
MAX_LABELS_BYTES = 256 * 1024


@dataclass(frozen=True)
class NetworkRequest:
    """A checked create body."""

    name: str
    internal: bool = False
    subnet: str = ""
    ip_range: str = ""
    gateway: str = ""
    aux_addresses: dict[str, str] = field(default_factory=dict)
    ipam_options: dict[str, str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    mtu: int = DEFAULT_MTU


def read_create_body(body: dict[str, Any]) -> NetworkRequest:
    """Check a create body as dockerd does, with its words where it has any.

    Raises:
        InvalidArgument: a bad name, bad IPAM config, a field or option not honoured.
        Forbidden: a predefined name, or the host or null driver.
    """
    unknown = sorted(key for key in body if key not in FIELDS)
    if unknown:
        raise InvalidArgument(
            f"the network field {unknown[0][:64]} is not supported by the tuibox engine"
        )
    name = _string(body, "Name")
    _check_name(name)
    _check_driver(_string(body, "Driver"))
    _check_unsupported(body)
    subnet, ip_range, gateway, aux, ipam_options = _read_ipam(body.get("IPAM"))
    labels = _string_map(body.get("Labels"), "Labels")
    if sum(len(k.encode()) + len(v.encode()) for k, v in labels.items()) > MAX_LABELS_BYTES:
        raise InvalidArgument(f"Labels take more than {MAX_LABELS_BYTES} bytes")
    options = _string_map(body.get("Options"), "Options")
    refused = sorted(key for key in options if key not in HONOURED_OPTIONS)
    if refused:
        raise InvalidArgument(
            f"the network driver option {refused[0][:128]} is not supported by the tuibox "
            f"engine; it honours only {', '.join(sorted(HONOURED_OPTIONS))}"
        )
    return NetworkRequest(
        name=name,
        internal=_bool(body, "Internal"),
        subnet=subnet,
        ip_range=ip_range,
        gateway=gateway,
        aux_addresses=aux,
        ipam_options=ipam_options,
        labels=labels,
        options=options,
        mtu=_mtu(options.get(MTU_OPTION)),
    )


def _check_name(name: str) -> None:
    if not name:
        raise InvalidArgument("invalid name: name is empty")
    if name in PREDEFINED_NAMES:
        raise Forbidden(f"operation is not permitted on predefined {name} network ")
    if len(name) > MAX_NAME or not NAME.fullmatch(name):
        raise InvalidArgument(
            f"invalid name: {name[:64]!r}: a network name is 1 to {MAX_NAME} characters of "
            "[a-zA-Z0-9_.-], starting with a letter or digit"
        )


def _check_driver(driver: str) -> None:
    if driver in ("host", "null"):
        raise Forbidden(f'only one instance of "{driver}" network is allowed')
    if driver not in ("", "bridge"):
        raise InvalidArgument(
            f"network driver {driver[:64]!r} is not supported by the tuibox engine: only "
            "bridge networks are"
        )


def _check_unsupported(body: dict[str, Any]) -> None:
    """Fields with a value the engine cannot give: refused, never dropped."""
    if body.get("Scope") not in (None, "", "local"):
        raise InvalidArgument(
            f"network scope {str(body['Scope'])[:32]!r} is not supported by the tuibox "
            "engine: its networks are local"
        )
    if body.get("EnableIPv4") not in (None, True):
        raise InvalidArgument("EnableIPv4=false (an IPv6-only network) is not supported by the "
                              "tuibox engine yet")  # fmt: skip
    if body.get("EnableIPv6") not in (None, False):
        raise InvalidArgument("EnableIPv6 (--ipv6) is not supported by the tuibox engine yet")
    for key, what in (("Attachable", "--attachable (swarm)"), ("Ingress", "--ingress (swarm)"),
                      ("ConfigOnly", "--config-only")):  # fmt: skip
        if body.get(key) not in (None, False):
            raise InvalidArgument(f"{what} is not supported by the tuibox engine")
    config_from = body.get("ConfigFrom")
    if config_from not in (None, {}, {"Network": ""}):
        raise InvalidArgument("--config-from is not supported by the tuibox engine")
    if body.get("CheckDuplicate") not in (None, True, False):
        raise InvalidArgument("CheckDuplicate must be true or false")
    for key in ("Internal",):
        if body.get(key) not in (None, True, False):
            raise InvalidArgument(f"{key} must be true or false")


IpamParts = tuple[str, str, str, dict[str, str], dict[str, str] | None]


def _read_ipam(ipam: Any) -> IpamParts:
    """(subnet, ip range, gateway, auxiliary addresses, IPAM options) from IPAM."""
    if ipam is None:
        return "", "", "", {}, None
    if not isinstance(ipam, dict):
        raise InvalidArgument("IPAM must be an object")
    unknown = sorted(key for key in ipam if key not in ("Driver", "Options", "Config"))
    if unknown:
        raise InvalidArgument(f"the IPAM field {unknown[0][:64]} is not supported by the tuibox "
                              "engine")  # fmt: skip
    if ipam.get("Driver") not in (None, "", "default"):
        raise InvalidArgument(f"IPAM driver {str(ipam['Driver'])[:64]!r} is not supported by the "
                              "tuibox engine: only the default one is")  # fmt: skip
    options = ipam.get("Options")
    if options is not None:
        options = _string_map(options, "IPAM.Options")
        if options:
            raise InvalidArgument(f"the IPAM option {sorted(options)[0][:64]} is not supported "
                                  "by the tuibox engine")  # fmt: skip
    configs = ipam.get("Config") or []
    if not isinstance(configs, list) or not all(isinstance(c, dict) for c in configs):
        raise InvalidArgument("IPAM.Config must be a list of objects")
    for config in configs:
        unknown = sorted(k for k in config if k not in ("Subnet", "IPRange", "Gateway",
                                                          "AuxiliaryAddresses"))  # fmt: skip
        if unknown:
            raise InvalidArgument(f"the IPAM.Config field {unknown[0][:64]} is not supported by "
                                  "the tuibox engine")  # fmt: skip
        if _is_ipv6(config.get("Subnet")):
            raise InvalidArgument("IPv6 subnets are not supported by the tuibox engine yet")
    validate_ipam(configs)
    if len(configs) > 1:
        raise InvalidArgument("more than one IPv4 subnet per network is not supported by the "
                              "tuibox engine yet")  # fmt: skip
    if not configs:
        return "", "", "", {}, options
    config = configs[0]
    aux = _string_map(config.get("AuxiliaryAddresses"), "AuxiliaryAddresses")
    subnet = str(ipaddress.IPv4Network(config["Subnet"]))
    return subnet, str(config.get("IPRange") or ""), str(config.get("Gateway") or ""), aux, options


def _is_ipv6(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return ipaddress.ip_network(text, strict=False).version == 6
    except ValueError:
        return False


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"{key} must be a string")
    if "\0" in value:
        raise InvalidArgument(f"{key} must not contain NUL bytes")
    return value


def _bool(body: dict[str, Any], key: str) -> bool:
    return body.get(key) is True


def _string_map(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidArgument(f"{key} must be an object of strings")
    if any("\0" in k or "\0" in v for k, v in value.items()):
        raise InvalidArgument(f"{key} must not contain NUL bytes")
    return dict(value)


def _mtu(text: str | None) -> int:
    if text is None:
        return DEFAULT_MTU
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 68 <= int(text) <= 65535:
        raise InvalidArgument(f"invalid value for {MTU_OPTION}: {text[:32]!r}: an MTU is an "
                              "integer from 68 to 65535")  # fmt: skip
    return int(text)
