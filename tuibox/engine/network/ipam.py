"""IPv4 address management as Docker's default IPAM does it: pools, subnets, addresses (pure).

Subnets for networks created without one come from the predefined pools, first free first:
the first subnet that overlaps neither another tuibox network nor one of the host's own
networks. A subnet given by hand is checked against tuibox's other networks only (as
dockerd does). In a subnet the network and broadcast addresses are reserved, the gateway
is the lowest address unless given, and a container gets the lowest free address of the
ip range (or of the subnet), so a freed address is handed out again at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from tuibox.engine.domain.errors import Forbidden, InvalidArgument, Unavailable
from tuibox.engine.domain.network import NetworkRecord

POOLS_EXHAUSTED = "all predefined address pools have been fully subnetted"
POOL_OVERLAP = "invalid pool request: Pool overlaps with other one on this address space"
ADDRESS_IN_USE = "Address already in use"


@dataclass(frozen=True)
class AddressPool:
    """A base network carved into subnets of one prefix length (daemon.json's {base, size})."""

    base: IPv4Network
    size: int

    def subnets(self) -> Iterator[IPv4Network]:
        return self.base.subnets(new_prefix=self.size)


DOCKER_POOLS: tuple[AddressPool, ...] = tuple(
    AddressPool(IPv4Network(base), size)
    for base, size in (
        ("172.17.0.0/16", 16), ("172.18.0.0/16", 16), ("172.19.0.0/16", 16),
        ("172.20.0.0/14", 16), ("172.24.0.0/14", 16), ("172.28.0.0/14", 16),
        ("192.168.0.0/16", 20),
    )
)  # fmt: skip
"""dockerd's built-in local pools: 31 networks, the first (172.17.0.0/16) for `bridge`."""


def address_pools(pairs: Iterable[tuple[str, int]]) -> tuple[AddressPool, ...]:
    """The pools of a checked `default-address-pools` (EngineConfig keeps them as pairs)."""
    return tuple(AddressPool(IPv4Network(base), size) for base, size in pairs)


def choose_subnet(
    pools: Iterable[AddressPool], taken: Iterable[IPv4Network], host: Iterable[IPv4Network]
) -> IPv4Network:
    """The first pool subnet that overlaps no tuibox network and no host network.

    Raises:
        Unavailable: every subnet of every pool overlaps (dockerd's words).
    """
    avoid = [*taken, *host]
    for pool in pools:
        for subnet in pool.subnets():
            if not any(subnet.overlaps(other) for other in avoid):
                return subnet
    raise Unavailable(POOLS_EXHAUSTED)


def check_no_overlap(subnet: IPv4Network, taken: Iterable[IPv4Network]) -> None:
    """A subnet given by hand may not overlap another tuibox network.

    Raises:
        Forbidden: it does (dockerd answers 403 with these words).
    """
    if any(subnet.overlaps(other) for other in taken):
        raise Forbidden(POOL_OVERLAP)


def host_networks(cidrs: Iterable[str]) -> list[IPv4Network]:
    """The IPv4 networks among what the driver reports the host uses (others are skipped)."""
    found: list[IPv4Network] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if isinstance(network, IPv4Network):
            found.append(network)
    return found


def validate_ipam(configs: list[dict[str, Any]]) -> None:
    """Check IPAM.Config entries as dockerd's ValidateIPAM does, all errors at once.

    Each entry is {Subnet, IPRange, Gateway, AuxiliaryAddresses} (strings, possibly
    empty); only IPv4 is checked here, IPv6 subnets are the caller's to refuse.

    Raises:
        InvalidArgument: "invalid network config:" and one "* ..." line per problem.
    """
    errors: list[str] = []
    for config in configs:
        text = str(config.get("Subnet") or "")
        subnet = _prefix(text)
        if subnet is None:
            errors.append(f"invalid subnet {text}: invalid CIDR block notation")
            continue
        address, bits = subnet
        masked = IPv4Network((address, bits), strict=False)
        if address != masked.network_address:
            errors.append(f"invalid subnet {text}: it should be {masked}")
        errors.extend(_range_errors(str(config.get("IPRange") or ""), masked))
        gateway = str(config.get("Gateway") or "")
        problem = _address_error(gateway, masked)
        if problem:
            errors.append(f"invalid gateway {gateway}: {problem}")
        aux = config.get("AuxiliaryAddresses") or {}
        for name, address in sorted(aux.items() if isinstance(aux, dict) else []):
            problem = _address_error(str(address), masked)
            if problem:
                errors.append(f"invalid auxiliary address {name}: {problem}")
    if errors:
        raise InvalidArgument("invalid network config:\n* " + "\n* ".join(errors))


def _prefix(text: str) -> tuple[IPv4Address, int] | None:
    address, sep, bits = text.partition("/")
    if not sep or not bits.isdigit() or len(bits) > 2 or int(bits) > 32:
        return None
    try:
        return IPv4Address(address), int(bits)
    except ValueError:
        return None


def _range_errors(text: str, subnet: IPv4Network) -> list[str]:
    if not text:
        return []
    parsed = _prefix(text)
    if parsed is None:
        return [f"invalid ip-range {text}: invalid CIDR block notation"]
    address, bits = parsed
    masked = IPv4Network((address, bits), strict=False)
    errors = []
    if bits < subnet.prefixlen:
        errors.append(
            f"invalid ip-range {text}: CIDR block is bigger than its parent subnet {subnet}"
        )
    if address != masked.network_address:
        errors.append(f"invalid ip-range {text}: it should be {masked}")
    if not masked.overlaps(subnet):
        errors.append(f"invalid ip-range {text}: parent subnet {subnet} doesn't contain ip-range")
    return errors


def _address_error(text: str, subnet: IPv4Network) -> str:
    if not text:
        return ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "invalid address"
    if not isinstance(address, IPv4Address):
        return "parent subnet is an IPv4 block"
    if address not in subnet:
        return f"parent subnet {subnet} doesn't contain this address"
    return ""


@dataclass
class SubnetAddresses:
    """The addresses in use in one network's subnet: reserved ones, gateway, containers."""

    subnet: IPv4Network
    ip_range: IPv4Network
    used: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, network: NetworkRecord) -> SubnetAddresses:
        """A network's subnet with the network and broadcast addresses (not in a /31 or
        /32), the gateway and the auxiliary addresses taken."""
        subnet = IPv4Network(network.subnet)
        addresses = cls(subnet, IPv4Network(network.ip_range) if network.ip_range else subnet)
        if subnet.prefixlen < 31:
            addresses.used.update({int(subnet.network_address), int(subnet.broadcast_address)})
        for address in (network.gateway, *network.aux_addresses.values()):
            if address:
                addresses.reserve(address)
        return addresses

    def reserve(self, address: str) -> None:
        """Mark an address taken whatever it was (rebuilding from records)."""
        self.used.add(int(IPv4Address(address)))

    def allocate(self, requested: str = "") -> str:
        """The requested address if free, else the lowest free one of the ip range.

        A requested address may be anywhere in the subnet (dockerd allows one outside the
        ip range: that is how fixed addresses are kept apart from automatic ones).

        Raises:
            InvalidArgument: the requested address is not an IPv4 address in the subnet.
            Forbidden: it is taken (dockerd's "Address already in use").
            Unavailable: the range has no free address left.
        """
        if requested:
            try:
                address = IPv4Address(requested)
            except ValueError:
                raise InvalidArgument(f"invalid IPv4 address: {requested}") from None
            if address not in self.subnet:
                raise InvalidArgument(
                    f"no configured subnet or ip-range contain the IP address {requested}"
                )
            if int(address) in self.used:
                raise Forbidden(ADDRESS_IN_USE)
            self.used.add(int(address))
            return str(address)
        first = int(self.ip_range.network_address)
        last = int(self.ip_range.broadcast_address)
        for candidate in range(first, last + 1):
            if candidate not in self.used and IPv4Address(candidate) in self.subnet:
                self.used.add(candidate)
                return str(IPv4Address(candidate))
        raise Unavailable("no available addresses on this pool")

    def release(self, address: str) -> None:
        """Free a container's address; freeing one not taken is no error."""
        try:
            self.used.discard(int(IPv4Address(address)))
        except ValueError:
            return


def lowest_host(subnet: IPv4Network) -> str:
    """The default gateway: the subnet's first usable address (.1 in a /16)."""
    if subnet.prefixlen >= 31:
        return str(subnet.network_address)
    return str(subnet.network_address + 1)
