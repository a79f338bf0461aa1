"""Provides the PORTS texts: as `docker ps` prints them, and shorter forms for narrow lists."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from tuibox.client.models import PortSummary

ANY_ADDRESS = frozenset({"0.0.0.0", "::"})
"""Host addresses that mean "every interface": the compact form leaves them out."""
ELLIPSIS = "…"


def _host(ip: str, port: str) -> str:
    """Go's net.JoinHostPort: an IPv6 address in brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _ip_order(ip: str) -> tuple[int, int]:
    """Go's netip ordering: no address first, then IPv4, then IPv6, each by value."""
    if not ip:
        return (0, 0)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return (3, 0)
    return (address.version, int(address))


def _group_text(ip: str, proto: str, first: int, last: int) -> str:
    ports = str(first) if first == last else f"{first}-{last}"
    return f"{_host(ip, ports)}->{ports}/{proto}" if ip else f"{ports}/{proto}"


def docker_ports(ports: Iterable[PortSummary]) -> str:
    """The PORTS cell as `docker ps` prints it (the docker CLI's DisplayablePorts).

    Sorted by container port, host address, host port, protocol. A port only exposed, or
    published on the same host port, joins a run of consecutive ports per (address,
    protocol): "8000-8001/tcp", "0.0.0.0:8000-8001->8000-8001/tcp". One published on
    another host port stands alone after them: "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp".
    """
    ordered = sorted(ports, key=lambda p: (p.private_port, _ip_order(p.ip), p.public_port,
                                           p.type))  # fmt: skip
    runs: dict[tuple[str, str], tuple[int, int]] = {}
    texts: list[str] = []
    mappings: list[str] = []
    for port in ordered:
        if port.ip and port.public_port != port.private_port:
            mappings.append(
                f"{_host(port.ip, str(port.public_port))}->{port.private_port}/{port.type}"
            )
            continue
        key = (port.ip, port.type)
        run = runs.get(key)
        if run is not None and port.private_port == run[1] + 1:
            runs[key] = (run[0], port.private_port)
            continue
        if run is not None:
            texts.append(_group_text(*key, *run))
        runs[key] = (port.private_port, port.private_port)
    texts.extend(_group_text(ip, proto, *run) for (ip, proto), run in runs.items())
    return ", ".join(texts + mappings)


def compact_ports(ports: Sequence[PortSummary]) -> list[str]:
    """The mappings without what a narrow list can spare, one text per mapping.

    A binding on every interface loses its address, and its IPv4 and IPv6 twins (same
    ports) are one: "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp" is "8080->80/tcp". A
    binding on one address keeps it; runs stay collapsed as docker ps collapses them.
    """
    merged = [
        PortSummary(p.private_port, p.type, "0.0.0.0" if p.ip in ANY_ADDRESS else p.ip,
                    p.public_port)
        for p in ports
    ]  # fmt: skip
    unique = list(dict.fromkeys(merged))
    texts = docker_ports(unique).split(", ") if unique else []
    return [text.removeprefix("0.0.0.0:") for text in texts]


def fit_ports(mappings: Sequence[str], width: int) -> str:
    """The compact mappings joined, cut to `width` cells: whole mappings, then "+N" more.

    At least the first mapping is shown (itself cut with "…" when even it is too wide).
    """
    if not mappings:
        return ""
    joined = ", ".join(mappings)
    if len(joined) <= width:
        return joined
    for count in range(len(mappings) - 1, 0, -1):
        text = f"{', '.join(mappings[:count])} +{len(mappings) - count}"
        if len(text) <= width:
            return text
    rest = f" +{len(mappings) - 1}" if len(mappings) > 1 else ""
    room = max(1, width - len(rest) - 1)
    first = mappings[0] if len(mappings[0]) <= room else mappings[0][:room] + ELLIPSIS
    return first + rest
