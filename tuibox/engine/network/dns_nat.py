"""The NAT rules inside a container's namespace that turn 127.0.0.11:53 into the embedded
DNS server's real ports, as moby's resolver_unix.go sets them up, in chains of tuibox's own.

Queries to 127.0.0.11:53 are DNATed to the listener's port; its replies are SNATed back to
port 53, so the client sees them come from where it asked. The rules are written with
iptables-restore run in the namespace through nsenter: the chains are flushed and refilled
in one transaction, so a second install (after an engine restart) replaces the first.
"""

from __future__ import annotations

import asyncio
import os

from tuibox.engine.domain.errors import HostNotReady, RuntimeFailure

DNS_ADDRESS = "127.0.0.11"
OUTPUT_CHAIN = "TBX-DNS-OUTPUT"
POSTROUTING_CHAIN = "TBX-DNS-POSTROUTING"
_JUMPS = (
    ("OUTPUT", f"-d {DNS_ADDRESS}/32 -j {OUTPUT_CHAIN}"),
    ("POSTROUTING", f"-d {DNS_ADDRESS}/32 -j {POSTROUTING_CHAIN}"),
)


def nat_rules(udp_port: int, tcp_port: int) -> list[str]:
    """The rules of the two chains, in iptables-restore syntax."""
    rules: list[str] = []
    for protocol, port in (("udp", udp_port), ("tcp", tcp_port)):
        rules.append(
            f"-A {OUTPUT_CHAIN} -d {DNS_ADDRESS}/32 -p {protocol} --dport 53 "
            f"-j DNAT --to-destination {DNS_ADDRESS}:{port}"
        )
        rules.append(
            f"-A {POSTROUTING_CHAIN} -s {DNS_ADDRESS}/32 -p {protocol} --sport {port} "
            "-j SNAT --to-source :53"
        )
    return rules


def fresh_input(udp_port: int, tcp_port: int) -> str:
    """iptables-restore input for a namespace without our chains: they are created (-N, which
    fails the whole transaction when they exist), filled, and jumped to."""
    lines = ["*nat", f"-N {OUTPUT_CHAIN}", f"-N {POSTROUTING_CHAIN}"]
    lines += nat_rules(udp_port, tcp_port)
    lines += [f"-A {chain} {spec}" for chain, spec in _JUMPS]
    return "\n".join([*lines, "COMMIT", ""])


def install_input(udp_port: int, tcp_port: int, saved_nat: str) -> str:
    """iptables-restore input: our chains declared (created, or flushed if they exist), their
    rules, and the jumps from the built-in chains that `saved_nat` (iptables-save -t nat)
    does not show yet."""
    lines = ["*nat", f":{OUTPUT_CHAIN} - [0:0]", f":{POSTROUTING_CHAIN} - [0:0]"]
    lines += nat_rules(udp_port, tcp_port)
    present = saved_nat.splitlines()
    lines += [f"-A {chain} {spec}" for chain, spec in _JUMPS if f"-A {chain} {spec}" not in present]
    return "\n".join([*lines, "COMMIT", ""])


def usual_remove_input() -> str:
    """iptables-restore input undoing exactly what an install leaves (one jump each, the two
    chains); it fails as a whole on anything else (a duplicate jump keeps a chain in use)."""
    lines = [f"-D {chain} {spec}" for chain, spec in _JUMPS]
    for chain in (OUTPUT_CHAIN, POSTROUTING_CHAIN):
        lines += [f"-F {chain}", f"-X {chain}"]
    return "\n".join(["*nat", *lines, "COMMIT", ""])


def remove_input(saved_nat: str) -> str | None:
    """iptables-restore input deleting every jump to our chains and the chains; None when
    `saved_nat` shows none of them."""
    present = saved_nat.splitlines()
    lines = [f"-D {chain} {spec}" for chain, spec in _JUMPS for line in present
             if line == f"-A {chain} {spec}"]  # fmt: skip
    for chain in (OUTPUT_CHAIN, POSTROUTING_CHAIN):
        if any(line.startswith(f":{chain} ") for line in present):
            lines += [f"-F {chain}", f"-X {chain}"]
    if not lines:
        return None
    return "\n".join(["*nat", *lines, "COMMIT", ""])


async def install_dns_nat(netns_path: str, udp_port: int, tcp_port: int) -> None:
    """Point 127.0.0.11:53 (UDP and TCP) at the listener's ports inside the namespace.

    Raises:
        RuntimeFailure: iptables refused (its words), or the namespace is gone.
        HostNotReady: no iptables or nsenter on the host.
    """
    restore = ["iptables-restore", "-w", "--noflush"]
    try:  # one process in the usual case, a namespace just made
        await _run(netns_path, restore, fresh_input(udp_port, tcp_port))
        return
    except RuntimeFailure as error:
        if "Chain already exists" not in str(error):
            raise
    saved = await _run(netns_path, ["iptables-save", "-t", "nat"])
    await _run(netns_path, restore, install_input(udp_port, tcp_port, saved))


async def remove_dns_nat(netns_path: str) -> None:
    """Delete the chains and jumps; nothing to do when the namespace is already gone (its
    rules went with it)."""
    if not os.path.exists(netns_path):
        return
    restore = ["iptables-restore", "-w", "--noflush"]
    try:  # one process for what install left; anything else is read first
        await _run(netns_path, restore, usual_remove_input())
        return
    except RuntimeFailure:
        pass
    try:
        saved = await _run(netns_path, ["iptables-save", "-t", "nat"])
    except RuntimeFailure:
        if not os.path.exists(netns_path):
            return
        raise
    script = remove_input(saved)
    if script is not None:
        await _run(netns_path, restore, script)


async def _run(netns_path: str, argv: list[str], stdin: str | None = None) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            "nsenter", f"--net={netns_path}", *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except FileNotFoundError:
        raise HostNotReady(
            "nsenter is not installed; install Debian's util-linux package"
        ) from None
    out, err = await process.communicate(stdin.encode() if stdin is not None else None)
    if process.returncode == 127:  # nsenter could not execute the tool
        raise HostNotReady(f"{argv[0]} is not installed; install Debian's iptables package")
    if process.returncode != 0:
        words = err.decode(errors="replace").strip() or f"exit status {process.returncode}"
        raise RuntimeFailure(f"{argv[0]} in {netns_path}: {words}")
    return out.decode(errors="replace")
