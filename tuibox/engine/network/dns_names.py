"""NameTable: the names the embedded DNS server answers, per user network, resolved as Docker
does (pure)."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SHORT_ID_LENGTH = 12
_PTR_V4_SUFFIX = ".in-addr.arpa"


def endpoint_dns_names(
    container_name: str, aliases: Iterable[str], container_id: str, hostname: str
) -> tuple[str, ...]:
    """A container's names on one network, in Docker's order (moby buildEndpointDNSNames):
    its name, the endpoint's aliases, its short ID, its hostname, each once. The first
    feeds the PTR record."""
    names = [container_name.lstrip("/"), *aliases, container_id[:SHORT_ID_LENGTH], hostname]
    return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class DnsEntry:
    """One container's record on one network."""

    container_id: str
    names: tuple[str, ...]
    """As given (the PTR answer keeps the first one's case); lookups ignore case."""
    address: str
    """IPv4, without the prefix length."""


class NameTable:
    """Per network, the containers' names and addresses; resolution for one asking container.

    Only the networks the asker has an entry on are searched, as Docker searches only the
    networks of the asker's sandbox.
    """

    def __init__(self) -> None:
        self._networks: dict[str, dict[str, DnsEntry]] = {}
        self._shuffle = random.Random()

    def add(self, network: str, container_id: str, names: Sequence[str], address: str) -> None:
        """Record (or replace) the container's entry on the network named `network`.

        Raises:
            ValueError: `address` is not an IPv4 address.
        """
        if not isinstance(ipaddress.ip_address(address), ipaddress.IPv4Address):
            raise ValueError(f"{address!r} is not an IPv4 address")
        entry = DnsEntry(container_id, tuple(dict.fromkeys(names)), address)
        self._networks.setdefault(network, {})[container_id] = entry

    def remove(self, network: str, container_id: str) -> None:
        """Forget the container's entry on one network (nothing if it has none)."""
        entries = self._networks.get(network, {})
        entries.pop(container_id, None)
        if not entries:
            self._networks.pop(network, None)

    def remove_container(self, container_id: str) -> None:
        """Forget the container on every network."""
        for network in list(self._networks):
            self.remove(network, container_id)

    def networks_of(self, container_id: str) -> list[str]:
        return [name for name, entries in self._networks.items() if container_id in entries]

    def entries(self, network: str) -> list[DnsEntry]:
        return list(self._networks.get(network, {}).values())

    def resolve(self, asker: str, qname: str) -> list[str] | None:
        """The IPv4 addresses of `qname` for the container `asker`, shuffled; None when the
        name is not one of its networks' (the query is then forwarded). A known name with no
        address of a family gets [] from the caller, not None.

        `a.b.c` is tried whole on every network of the asker, then `a.b` on network `c`, then
        `a` on network `b.c` (moby Sandbox.ResolveName); names compare without case, the
        network part as Docker compares it, exactly.
        """
        name = qname.removesuffix(".")
        candidates: list[tuple[str, str | None]] = [(name, None)]
        dot = name.rfind(".")
        while dot > 0:
            candidates.append((name[:dot], name[dot + 1 :]))
            dot = name.rfind(".", 0, dot)
        asker_networks = self.networks_of(asker)
        for wanted, network in candidates:
            for candidate_network in asker_networks:
                if network is not None and network != candidate_network:
                    continue
                found = self._addresses(candidate_network, wanted.lower())
                if found:
                    self._shuffle.shuffle(found)
                    return found
        return None

    def reverse(self, asker: str, qname: str) -> str | None:
        """The PTR target for `<reversed IPv4>.in-addr.arpa` when the address is a container's
        on one of the asker's networks: `<first name>.<network>` (moby Network.ResolveIP);
        None otherwise (forwarded)."""
        name = qname.removesuffix(".").lower()
        if not name.endswith(_PTR_V4_SUFFIX):
            return None
        octets = name.removesuffix(_PTR_V4_SUFFIX).split(".")
        try:
            address = str(ipaddress.IPv4Address(".".join(reversed(octets))))
        except ValueError:
            return None
        for network in self.networks_of(asker):
            for entry in self._networks[network].values():
                if entry.address == address and entry.names:
                    return f"{entry.names[0]}.{network}"
        return None

    def _addresses(self, network: str, lowered: str) -> list[str]:
        found: list[str] = []
        for entry in self._networks.get(network, {}).values():
            if entry.address not in found and any(n.lower() == lowered for n in entry.names):
                found.append(entry.address)
        return found
