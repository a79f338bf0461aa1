"""Installs and removes tuibox's iptables rules (laid out in firewall_rules) idempotently."""

from __future__ import annotations

import shlex

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord
from tuibox.engine.network import firewall_rules as fr
from tuibox.engine.network.iptables import (
    ALREADY_EXISTS,
    NO_SUCH_CHAIN,
    NO_SUCH_RULE,
    NO_SUCH_TARGET,
    Iptables,
)

GONE = (NO_SUCH_RULE, NO_SUCH_CHAIN, NO_SUCH_TARGET)


class Firewall:
    """tuibox's chains, their jumps from the built-in chains, and the per-network and
    per-endpoint chains. Callers serialise calls (the driver holds one lock)."""

    def __init__(self, iptables: Iptables) -> None:
        self.ipt = iptables

    async def ensure_network(self, network: NetworkRecord) -> None:
        """Shared chains, the network's own chains rewritten in one transaction, its lines
        in the shared chains, then the hooks (so nothing is reached half-built)."""
        for table, chain in fr.SHARED_CHAINS:
            await self.ipt.checked(table, "-N", chain, tolerate=(ALREADY_EXISTS,))
        own = fr.network_chain(network.bridge)
        await self.ipt.restore(fr.restore_text({own: fr.network_chain_specs(network)}))
        for rule in fr.network_links(network):
            await self._append(rule)
        await self._ensure_hooks()

    async def remove_network(self, network: NetworkRecord) -> None:
        """The network's lines and chains; the hooks and shared chains too once no network
        or endpoint chain is left."""
        for rule in fr.network_links(network):
            await self._delete(rule)
        await self._drop_chain(("filter", "nat"), fr.network_chain(network.bridge))
        ruleset = await self.ipt.save()
        left = [
            chain
            for chains in ruleset.chains.values()
            for chain in chains
            if chain.startswith((fr.NETWORK_CHAIN_PREFIX, fr.ENDPOINT_CHAIN_PREFIX))
        ]
        if not left:
            await self.sweep([], [])

    async def publish(self, endpoint: EndpointRecord) -> None:
        """The endpoint's port chains rewritten whole, then their jumps."""
        own = fr.endpoint_chain(endpoint.host_ifname)
        await self.ipt.restore(fr.restore_text({own: fr.endpoint_chain_specs(endpoint)}))
        for rule in fr.endpoint_links(endpoint):
            await self._append(rule)

    async def unpublish(self, endpoint: EndpointRecord) -> None:
        for rule in fr.endpoint_links(endpoint):
            await self._delete(rule)
        await self._drop_chain(("nat", "raw"), fr.endpoint_chain(endpoint.host_ifname))

    async def sweep(
        self, networks: list[NetworkRecord], endpoints: list[EndpointRecord]
    ) -> list[str]:
        """Delete every TUIBOX line and chain the records do not call for (duplicates
        included); the chains of recorded endpoints that are published stay as they are.

        Returns:
            What was removed, one line each.
        """
        ruleset = await self.ipt.save()
        wanted = {(table, chain) for table, chain in fr.SHARED_CHAINS} if networks else set()
        for network in networks:
            wanted |= {(t, fr.network_chain(network.bridge)) for t in ("filter", "nat")}
        published = [
            e for e in endpoints if ruleset.has_chain("nat", fr.endpoint_chain(e.host_ifname))
        ]
        for endpoint in published:
            wanted |= {(t, fr.endpoint_chain(endpoint.host_ifname)) for t in ("nat", "raw")}
        desired = fr.desired_lines(networks, published)
        removed: list[str] = []
        for table, lines in ruleset.rules.items():
            seen: set[str] = set()
            for line in lines:
                chain = line.split()[1]
                if chain.startswith((fr.NETWORK_CHAIN_PREFIX, fr.ENDPOINT_CHAIN_PREFIX)):
                    continue
                if not chain.startswith(fr.PREFIX) and f"-j {fr.PREFIX}" not in line:
                    continue
                if (table, line) in desired and line not in seen:
                    seen.add(line)
                    continue
                argv = shlex.split(line)
                await self.ipt.checked(table, "-D", *argv[1:], tolerate=GONE)
                removed.append(f"iptables -t {table} rule {line}")
        orphans = [
            (table, chain)
            for table, chains in ruleset.chains.items()
            for chain in sorted(chains)
            if chain.startswith(fr.PREFIX) and (table, chain) not in wanted
        ]
        for table, chain in orphans:
            await self.ipt.checked(table, "-F", chain, tolerate=(NO_SUCH_CHAIN,))
        for table, chain in orphans:
            await self.ipt.checked(table, "-X", chain, tolerate=(NO_SUCH_CHAIN,))
            removed.append(f"iptables -t {table} chain {chain}")
        return removed

    async def _ensure_hooks(self) -> None:
        positions: dict[str, int] = {}
        for rule in fr.HEADS:
            positions[rule.chain] = positions.get(rule.chain, 0) + 1
            if not await self.ipt.has_rule(rule.table, rule.chain, rule.spec):
                await self.ipt.checked(
                    rule.table, "-I", rule.chain, str(positions[rule.chain]), *rule.spec
                )
        for rule in fr.HOOKS:
            if not await self.ipt.has_rule(rule.table, rule.chain, rule.spec):
                await self.ipt.checked(rule.table, "-I", rule.chain, "1", *rule.spec)

    async def _append(self, rule: fr.Rule) -> None:
        if not await self.ipt.has_rule(rule.table, rule.chain, rule.spec):
            await self.ipt.checked(rule.table, "-A", rule.chain, *rule.spec)

    async def _delete(self, rule: fr.Rule) -> None:
        await self.ipt.checked(rule.table, "-D", rule.chain, *rule.spec, tolerate=GONE)

    async def _drop_chain(self, tables: tuple[str, ...], chain: str) -> None:
        for table in tables:
            await self.ipt.checked(table, "-F", chain, tolerate=(NO_SUCH_CHAIN,))
            await self.ipt.checked(table, "-X", chain, tolerate=(NO_SUCH_CHAIN,))
