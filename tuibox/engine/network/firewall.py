"""Installs and removes tuibox's iptables rules (laid out in firewall_rules) idempotently."""

from __future__ import annotations

from collections import Counter

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord
from tuibox.engine.network import firewall_rules as fr
from tuibox.engine.network.iptables import ALREADY_EXISTS, Iptables, Ruleset


class Firewall:
    """tuibox's chains, their jumps from the built-in chains, and the per-network and
    per-endpoint chains. Callers serialise calls (the driver holds one lock).

    Removals go in one iptables-restore transaction built from a fresh dump (with
    nf_tables each transaction that deletes costs a kernel grace period, ~10 ms)."""

    def __init__(self, iptables: Iptables) -> None:
        self.ipt = iptables

    async def ensure_network(self, network: NetworkRecord) -> None:
        """Shared chains, the network's own chains rewritten in one transaction, its lines
        in the shared chains, then the hooks (so nothing is reached half-built). Nothing
        is written when the dump already shows all of it."""
        own = fr.network_chain(network.bridge)
        specs = fr.network_chain_specs(network)
        ruleset = await self.ipt.save()
        links = [*fr.HOOKS, *fr.HEADS, *fr.network_links(network)]
        if _holds(ruleset, own, specs) and all(_has_line(ruleset, rule) for rule in links):
            return
        for table, chain in fr.SHARED_CHAINS:
            await self.ipt.checked(table, "-N", chain, tolerate=(ALREADY_EXISTS,))
        await self.ipt.restore(fr.restore_text({own: specs}))
        for rule in fr.network_links(network):
            await self._append(rule)
        await self._ensure_hooks()

    async def remove_network(self, network: NetworkRecord) -> None:
        """The network's lines and chains; the hooks and shared chains too once no network
        or endpoint chain is left."""
        ruleset = await self.ipt.save()
        own = fr.network_chain(network.bridge)
        lines = [(rule.table, rule.line()) for rule in fr.network_links(network)]
        chains = [(table, own) for table in ("filter", "nat")]
        left = [
            (table, chain)
            for table, names in ruleset.chains.items()
            for chain in names
            if chain.startswith((fr.NETWORK_CHAIN_PREFIX, fr.ENDPOINT_CHAIN_PREFIX))
            and (table, chain) not in chains
        ]
        if left:
            await self._remove(ruleset, lines, chains)
        else:
            await self.sweep([], [], ruleset)

    async def publish(self, endpoint: EndpointRecord) -> None:
        """The endpoint's port chains rewritten whole, then their jumps."""
        own = fr.endpoint_chain(endpoint.host_ifname)
        specs = fr.endpoint_chain_specs(endpoint)
        ruleset = await self.ipt.save()
        links = fr.endpoint_links(endpoint)
        if _holds(ruleset, own, specs) and all(_has_line(ruleset, rule) for rule in links):
            return
        await self.ipt.restore(fr.restore_text({own: specs}))
        for rule in links:
            await self._append(rule)

    async def unpublish(self, endpoint: EndpointRecord) -> None:
        own = fr.endpoint_chain(endpoint.host_ifname)
        lines = [(rule.table, rule.line()) for rule in fr.endpoint_links(endpoint)]
        await self._remove(await self.ipt.save(), lines, [("nat", own), ("raw", own)])

    async def sweep(
        self,
        networks: list[NetworkRecord],
        endpoints: list[EndpointRecord],
        ruleset: Ruleset | None = None,
    ) -> list[str]:
        """Delete every TUIBOX line and chain the records do not call for (duplicates
        included); the chains of recorded endpoints that are published stay as they are.

        Returns:
            What was removed, one line each.
        """
        ruleset = ruleset or await self.ipt.save()
        wanted = set(fr.SHARED_CHAINS) if networks else set()
        for network in networks:
            wanted |= {(t, fr.network_chain(network.bridge)) for t in ("filter", "nat")}
        published = [
            e for e in endpoints if ruleset.has_chain("nat", fr.endpoint_chain(e.host_ifname))
        ]
        for endpoint in published:
            wanted |= {(t, fr.endpoint_chain(endpoint.host_ifname)) for t in ("nat", "raw")}
        desired = fr.desired_lines(networks, published)
        lines: list[tuple[str, str]] = []
        for table, table_lines in ruleset.rules.items():
            seen: set[str] = set()
            for line in table_lines:
                chain = line.split()[1]
                if chain.startswith((fr.NETWORK_CHAIN_PREFIX, fr.ENDPOINT_CHAIN_PREFIX)):
                    continue
                if not chain.startswith(fr.PREFIX) and f"-j {fr.PREFIX}" not in line:
                    continue
                if (table, line) in desired and line not in seen:
                    seen.add(line)
                    continue
                lines.append((table, line))
        orphans = [
            (table, chain)
            for table, chains in ruleset.chains.items()
            for chain in sorted(chains)
            if chain.startswith(fr.PREFIX) and (table, chain) not in wanted
        ]
        await self._remove(ruleset, lines, orphans)
        return [f"iptables -t {table} rule {line}" for table, line in lines] + [
            f"iptables -t {table} chain {chain}" for table, chain in orphans
        ]

    async def _remove(
        self, ruleset: Ruleset, lines: list[tuple[str, str]], chains: list[tuple[str, str]]
    ) -> None:
        """Delete those of `lines` and `chains` the dump shows (and the lines jumping to
        those chains), in one transaction."""
        doomed = {(table, chain) for table, chain in chains if ruleset.has_chain(table, chain)}
        wanted_gone = Counter(lines)  # a duplicate is named once per copy to delete
        by_table: dict[str, list[str]] = {}
        for table, table_lines in ruleset.rules.items():
            for line in table_lines:
                target = line.split(" -j ")[-1].split()[0] if " -j " in line else ""
                if (table, target) in doomed or wanted_gone[table, line] > 0:
                    wanted_gone[table, line] -= 1
                    by_table.setdefault(table, []).append("-D" + line[2:])
        for table, chain in sorted(doomed):
            by_table.setdefault(table, []).append(f"-F {chain}")
        for table, chain in sorted(doomed):
            by_table[table].append(f"-X {chain}")
        if by_table:
            text = "".join(
                f"*{table}\n" + "".join(f"{line}\n" for line in cmds) + "COMMIT\n"
                for table, cmds in by_table.items()
            )
            await self.ipt.restore(text)

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


def _has_line(ruleset: Ruleset, rule: fr.Rule) -> bool:
    return rule.line() in ruleset.rules.get(rule.table, [])


def _holds(ruleset: Ruleset, chain: str, specs: dict[str, list[tuple[str, ...]]]) -> bool:
    """Whether each table's `chain` exists with exactly these lines, in this order."""
    for table, table_specs in specs.items():
        if not ruleset.has_chain(table, chain):
            return False
        present = [line for line in ruleset.rules.get(table, []) if line.split()[1] == chain]
        if present != [" ".join(("-A", chain, *spec)) for spec in table_specs]:
            return False
    return True
