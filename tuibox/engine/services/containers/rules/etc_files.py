"""The /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets, as Docker writes them
(pure): --hostname, --add-host, --dns, --dns-search and --dns-option reach them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.values import string_list

HOSTS_HEADER = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
"""The lines every Docker container's /etc/hosts starts with."""
ETC_FILE_MODE = 0o644
"""The mode of the three files, as Docker writes them: the container sees them through
bind mounts, and a non-root user in it must be able to read them."""
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")
"""Docker's nameservers when the host has none but loopback ones (which a container
cannot reach from its own network namespace)."""
HOST_GATEWAY = "host-gateway"
"""The --add-host address that stands for the host's address as containers reach it."""
_HOST_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,252})$")
_SEARCH_DOMAIN = re.compile(r"^[a-zA-Z0-9._-]{1,253}$")
_DNS_OPTION = re.compile(r"^[a-zA-Z0-9_-]+(:[0-9]+)?$")


@dataclass(frozen=True)
class EtcSettings:
    """What the three files say beyond Docker's defaults."""

    extra_hosts: tuple[tuple[str, str], ...] = ()
    """(name, address) from --add-host, in the order given; the address may be HOST_GATEWAY."""
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()


def etc_settings(host_config: dict[str, Any]) -> EtcSettings:
    """Check --add-host and the --dns flags.

    Raises:
        InvalidArgument: a malformed host entry, address, search domain or option.
    """
    hosts: list[tuple[str, str]] = []
    for entry in string_list(host_config.get("ExtraHosts"), "ExtraHosts"):
        separator = "=" if "=" in entry else ":" if ":" in entry else " "
        name, _, address = entry.partition(separator)  # name=ip (CLI 25+), name:ip, name ip
        if not _HOST_NAME.match(name):
            raise InvalidArgument(f"invalid argument {entry!r} for --add-host: bad host name")
        if address != HOST_GATEWAY:
            address = _address(address, f"invalid IP address in add-host: {address!r}")
        hosts.append((name, address))
    dns = tuple(_address(a, f"{a!r} is not an IP address (--dns)")
                for a in string_list(host_config.get("Dns"), "Dns"))  # fmt: skip
    search = tuple(string_list(host_config.get("DnsSearch"), "DnsSearch"))
    for domain in search:
        if domain != "." and not _SEARCH_DOMAIN.match(domain):
            raise InvalidArgument(f"{domain!r} is not a valid domain (--dns-search)")
    options = tuple(string_list(host_config.get("DnsOptions"), "DnsOptions"))
    for option in options:
        if not _DNS_OPTION.match(option):
            raise InvalidArgument(f"{option!r} is not a resolver option (--dns-option)")
    return EtcSettings(tuple(hosts), dns, search, options)


def _address(text: str, message: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise InvalidArgument(message) from None


def hostname_file(hostname: str) -> str:
    """/etc/hostname: the name and a newline."""
    return f"{hostname}\n"


def uses_host_gateway(settings: EtcSettings) -> bool:
    """Whether an --add-host entry maps a name to host-gateway."""
    return any(address == HOST_GATEWAY for _, address in settings.extra_hosts)


def hosts_file(settings: EtcSettings, host_gateway: str = "") -> str:
    """/etc/hosts: Docker's loopback lines, then each --add-host (host-gateway written as
    `host_gateway`: the engine's host-gateway-ip, or the default bridge's gateway).

    Raises:
        InvalidArgument: an entry maps to host-gateway and `host_gateway` is empty (dockerd's
            wording).
    """
    if uses_host_gateway(settings) and not host_gateway:
        raise InvalidArgument("unable to derive the IP value for host-gateway")
    return HOSTS_HEADER + "".join(
        f"{host_gateway if address == HOST_GATEWAY else address}\t{name}\n"
        for name, address in settings.extra_hosts
    )


def resolv_file(host_resolv: str, settings: EtcSettings) -> str:
    """/etc/resolv.conf: the host's, without loopback nameservers, with the --dns flags applied.

    As Docker: --dns replaces the nameservers, --dns-search the search line, --dns-option
    the options line; with no nameserver left, Docker's public fallbacks are written.
    """
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    others: list[str] = []
    for line in host_resolv.splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and len(words) > 1:
            if not _is_loopback(words[1]):
                nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = words[1:]
        elif words[0] == "options":
            options += words[1:]
        else:
            others.append(line.strip())
    if settings.dns:
        nameservers = list(settings.dns)
    if not nameservers:
        nameservers = list(FALLBACK_NAMESERVERS)
    if settings.dns_search:
        search = [] if settings.dns_search == (".",) else list(settings.dns_search)
    if settings.dns_options:
        options = list(settings.dns_options)
    lines = [f"nameserver {server}" for server in nameservers]
    if search:
        lines.append("search " + " ".join(search))
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join([*lines, *others]) + "\n"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False
