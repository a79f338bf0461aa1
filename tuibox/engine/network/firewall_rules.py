"""The iptables rules tuibox installs, as pure data: which chain holds which line.

Everything lives in chains named TUIBOX-*; built-in chains only get one jump each, and
neither a built-in chain's other rules nor its policy are ever touched. Rule specs are
written in iptables-save's own form (`-p tcp -m tcp`, `/32`), so a dump can be compared
with them line for line.

filter  FORWARD             -j TUIBOX-FORWARD                       (inserted first)
        TUIBOX-FORWARD      -j TUIBOX-INTERNAL ; -j TUIBOX-ISOLATION-1 ; per network
                            -i BR -j TUIBOX-N-BR ; -o BR -j TUIBOX-N-BR
        TUIBOX-INTERNAL     per internal network: ! -d S -i BR -j DROP ; ! -s S -o BR -j DROP
        TUIBOX-ISOLATION-1  -m conntrack --ctstate DNAT -j RETURN (published ports stay
                            reachable from other networks); per network
                            -i BR ! -o BR -j TUIBOX-ISOLATION-2
        TUIBOX-ISOLATION-2  per network: -o BR -j DROP
        TUIBOX-N-BR         -o BR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
                            -o BR -m conntrack --ctstate DNAT -j ACCEPT      (published ports)
                            -i BR -j ACCEPT ; -o BR -j DROP  (internal: -i BR -o BR -j ACCEPT)
nat     PREROUTING, OUTPUT  -m addrtype --dst-type LOCAL -j TUIBOX-PORTS
        POSTROUTING         -j TUIBOX-POSTROUTING
        TUIBOX-PORTS        per published endpoint: -j TUIBOX-P-VETH
        TUIBOX-P-VETH       per port: [-d HOSTIP/32] -p tcp -m tcp --dport HP
                            -j DNAT --to-destination C:CP
        TUIBOX-POSTROUTING  per network: -j TUIBOX-N-BR
        TUIBOX-N-BR         -s S ! -o BR -j MASQUERADE                          (outbound)
                            -o BR -m addrtype --src-type LOCAL -j MASQUERADE   (from the host,
                            127.0.0.1 included) ; -s S -o BR -m conntrack --ctstate DNAT
                            -j MASQUERADE (a container reaching a port published on its
                            own bridge)                                (internal: empty)
raw     PREROUTING          -j TUIBOX-PORTS
        TUIBOX-PORTS        per published endpoint: -j TUIBOX-P-VETH
        TUIBOX-P-VETH       per port bound to a loopback address:
                            -d HOSTIP/32 ! -i lo -p tcp -m tcp --dport HP -j DROP
"""

from __future__ import annotations

from dataclasses import dataclass

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord

PREFIX = "TUIBOX-"
FORWARD = "TUIBOX-FORWARD"
INTERNAL = "TUIBOX-INTERNAL"
ISOLATION_1 = "TUIBOX-ISOLATION-1"
ISOLATION_2 = "TUIBOX-ISOLATION-2"
PORTS = "TUIBOX-PORTS"
POSTROUTING = "TUIBOX-POSTROUTING"
NETWORK_CHAIN_PREFIX = "TUIBOX-N-"
ENDPOINT_CHAIN_PREFIX = "TUIBOX-P-"

SHARED_CHAINS: tuple[tuple[str, str], ...] = (
    ("filter", FORWARD),
    ("filter", INTERNAL),
    ("filter", ISOLATION_1),
    ("filter", ISOLATION_2),
    ("nat", PORTS),
    ("nat", POSTROUTING),
    ("raw", PORTS),
)


@dataclass(frozen=True)
class Rule:
    """One rule line: `-A <chain> <spec>` in `table`."""

    table: str
    chain: str
    spec: tuple[str, ...]

    def line(self) -> str:
        """The line as iptables-save prints it."""
        return " ".join(("-A", self.chain, *self.spec))


HOOKS: tuple[Rule, ...] = (
    Rule("filter", "FORWARD", ("-j", FORWARD)),
    Rule("nat", "PREROUTING", ("-m", "addrtype", "--dst-type", "LOCAL", "-j", PORTS)),
    Rule("nat", "OUTPUT", ("-m", "addrtype", "--dst-type", "LOCAL", "-j", PORTS)),
    Rule("nat", "POSTROUTING", ("-j", POSTROUTING)),
    Rule("raw", "PREROUTING", ("-j", PORTS)),
)
"""The jumps from built-in chains, each inserted at the top once."""

HEADS: tuple[Rule, ...] = (
    Rule("filter", FORWARD, ("-j", INTERNAL)),
    Rule("filter", FORWARD, ("-j", ISOLATION_1)),
    Rule("filter", ISOLATION_1, ("-m", "conntrack", "--ctstate", "DNAT", "-j", "RETURN")),
)
"""Fixed first lines of shared chains, in order (each at its position in its chain)."""


def network_chain(bridge: str) -> str:
    return NETWORK_CHAIN_PREFIX + bridge


def endpoint_chain(host_ifname: str) -> str:
    return ENDPOINT_CHAIN_PREFIX + host_ifname


def network_links(network: NetworkRecord) -> tuple[Rule, ...]:
    """The network's lines in the shared chains (appended, removed by exact spec)."""
    br, own = network.bridge, network_chain(network.bridge)
    rules = [
        Rule("filter", FORWARD, ("-i", br, "-j", own)),
        Rule("filter", FORWARD, ("-o", br, "-j", own)),
        Rule("filter", ISOLATION_1, ("-i", br, "!", "-o", br, "-j", ISOLATION_2)),
        Rule("filter", ISOLATION_2, ("-o", br, "-j", "DROP")),
        Rule("nat", POSTROUTING, ("-j", own)),
    ]
    if network.internal:
        subnet = network.subnet
        rules += [
            Rule("filter", INTERNAL, ("!", "-d", subnet, "-i", br, "-j", "DROP")),
            Rule("filter", INTERNAL, ("!", "-s", subnet, "-o", br, "-j", "DROP")),
        ]
    return tuple(rules)


def network_chain_specs(network: NetworkRecord) -> dict[str, list[tuple[str, ...]]]:
    """Per table, the lines of the network's own chain TUIBOX-N-<bridge> (rewritten whole)."""
    br, subnet = network.bridge, network.subnet
    if network.internal:
        return {"filter": [("-i", br, "-o", br, "-j", "ACCEPT")], "nat": []}
    established = ("-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED")
    dnat = ("-m", "conntrack", "--ctstate", "DNAT")
    return {
        "filter": [
            ("-o", br, *established, "-j", "ACCEPT"),
            ("-o", br, *dnat, "-j", "ACCEPT"),
            ("-i", br, "-j", "ACCEPT"),
            ("-o", br, "-j", "DROP"),
        ],
        "nat": [
            ("-s", subnet, "!", "-o", br, "-j", "MASQUERADE"),
            ("-o", br, "-m", "addrtype", "--src-type", "LOCAL", "-j", "MASQUERADE"),
            ("-s", subnet, "-o", br, *dnat, "-j", "MASQUERADE"),
        ],
    }


def is_loopback(host_ip: str) -> bool:
    return host_ip.startswith("127.")


def endpoint_chain_specs(endpoint: EndpointRecord) -> dict[str, list[tuple[str, ...]]]:
    """Per table, the lines of the endpoint's chain TUIBOX-P-<host veth>."""
    nat: list[tuple[str, ...]] = []
    raw: list[tuple[str, ...]] = []
    for port in endpoint.ports:
        match = ("-p", port.protocol, "-m", port.protocol, "--dport", str(port.host_port))
        target = f"{endpoint.address}:{port.container_port}"
        where: tuple[str, ...] = () if port.host_ip == "0.0.0.0" else ("-d", f"{port.host_ip}/32")
        nat.append((*where, *match, "-j", "DNAT", "--to-destination", target))
        if is_loopback(port.host_ip):
            # route_localnet lets 127.0.0.0/8 in on the bridge: only the host may use a
            # port published on loopback, as Docker's filterPortMappedOnLoopback does.
            raw.append((*where, "!", "-i", "lo", *match, "-j", "DROP"))
    return {"nat": nat, "raw": raw}


def endpoint_links(endpoint: EndpointRecord) -> tuple[Rule, ...]:
    own = endpoint_chain(endpoint.host_ifname)
    return (Rule("nat", PORTS, ("-j", own)), Rule("raw", PORTS, ("-j", own)))


def restore_text(chains: dict[str, dict[str, list[tuple[str, ...]]]]) -> str:
    """iptables-restore input declaring (so flushing) each chain and filling it.

    Args:
        chains: chain name -> table -> rule specs.
    """
    by_table: dict[str, list[str]] = {}
    for chain, tables in chains.items():
        for table, specs in tables.items():
            lines = by_table.setdefault(table, [])
            lines.append(f":{chain} - [0:0]")
            lines += [" ".join(("-A", chain, *spec)) for spec in specs]
    parts = []
    for table, lines in by_table.items():
        parts += [f"*{table}", *lines, "COMMIT"]
    return "\n".join(parts) + "\n"


def desired_lines(
    networks: list[NetworkRecord], published: list[EndpointRecord]
) -> set[tuple[str, str]]:
    """(table, line) of every hook and shared-chain line the records call for."""
    if not networks:
        return set()
    rules = [*HOOKS, *HEADS]
    for network in networks:
        rules += network_links(network)
    for endpoint in published:
        rules += endpoint_links(endpoint)
    return {(rule.table, rule.line()) for rule in rules}
