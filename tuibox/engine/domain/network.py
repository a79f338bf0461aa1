"""Networks, endpoints and published ports as the engine records them (pure values).

A network is a Linux bridge with one IPv4 subnet (the default `bridge` network is
`tuibox0`; a user network `tbx-<first 11 hex of its ID>`, the 15 characters Linux allows).
An endpoint joins one container's run to one network: a veth pair whose host end
(`tbx<7 hex>`) sits on the bridge and whose other end is `eth0`, `eth1`... in the
container's network namespace. The
records are what the engine persists; the kernel objects are rebuilt or removed from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NetworkDriverName = Literal["bridge", "host", "null"]
Protocol = Literal["tcp", "udp"]

DEFAULT_BRIDGE_NAME = "bridge"
DEFAULT_BRIDGE_IFNAME = "tuibox0"
PREDEFINED = ("bridge", "host", "none")
"""Networks that always exist and cannot be created or removed (Docker's three)."""
USER_BRIDGE_PREFIX = "tbx-"
HOST_VETH_PREFIX = "tbx"
DEFAULT_MTU = 1500


@dataclass
class NetworkRecord:
    """One network, as `docker network inspect` shows it and the kernel needs it."""

    id: str
    name: str
    driver: NetworkDriverName
    created: str
    subnet: str = ""
    """CIDR (`172.17.0.0/16`); empty for host and none."""
    gateway: str = ""
    """The bridge's own address in the subnet (`172.17.0.1`)."""
    ip_range: str = ""
    """Where container addresses come from, when narrower than the subnet."""
    bridge: str = ""
    """The Linux bridge's interface name."""
    bridge_mac: str = ""
    """Pinned, so the bridge does not take its lowest port's MAC (ARP breaks meanwhile)."""
    mtu: int = DEFAULT_MTU
    internal: bool = False
    """No outbound NAT and no published ports: only its containers reach each other."""
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    user_subnet: bool = False
    """The subnet was given at create (only then may endpoints ask for a fixed address)."""
    aux_addresses: dict[str, str] = field(default_factory=dict)
    """IPAM AuxiliaryAddresses: name -> address in the subnet, never given to a container."""
    ipam_options: dict[str, str] | None = None
    """IPAM.Options as given at create (None when left out), echoed by inspect."""

    @property
    def predefined(self) -> bool:
        return self.name in PREDEFINED

    @property
    def prefixlen(self) -> int:
        return int(self.subnet.split("/")[1]) if self.subnet else 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkRecord:
        return cls(**data)


@dataclass(frozen=True)
class PortBinding:
    """One published port: host_ip:host_port -> container_port/protocol."""

    container_port: int
    protocol: Protocol
    host_ip: str
    """"0.0.0.0" for every address, or one of the host's."""
    host_port: int

    def key(self) -> str:
        """Docker's map key: "80/tcp"."""
        return f"{self.container_port}/{self.protocol}"


@dataclass
class EndpointRecord:
    """One container's attachment to one network, for the run under way (or the next)."""

    id: str
    network_id: str
    container_id: str
    ifname: str
    """In the container: eth0, eth1..."""
    host_ifname: str
    """The veth's host end, on the bridge."""
    address: str
    """IPv4 address without the prefix length."""
    mac: str
    aliases: tuple[str, ...] = ()
    requested_address: str = ""
    """An address asked for with --ip (kept across restarts), else empty."""
    ports: tuple[PortBinding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        data["ports"] = [asdict(p) for p in self.ports]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EndpointRecord:
        fields = dict(data)
        fields["aliases"] = tuple(fields.get("aliases") or ())
        fields["ports"] = tuple(PortBinding(**p) for p in fields.get("ports") or ())
        return cls(**fields)


@dataclass(frozen=True)
class Attachment:
    """A network a container asked to join (--network, EndpointsConfig, network connect)."""

    network: str
    """The network's name or ID, as given."""
    aliases: tuple[str, ...] = ()
    requested_address: str = ""
    """--ip: a fixed IPv4 address in the network's (user-given) subnet."""
    ports: tuple[PortBinding, ...] = ()
    """The ports to publish through this network's endpoint (the container side picks the
    attachment that carries them); NetworkService.start_run copies them to the endpoint."""
