"""Bridges, veth pairs, addresses and routes through pyroute2: AsyncIPRoute in the engine's
own namespace (never the sync IPRoute in the event loop's thread), the sync IPRoute in a
worker thread for link deletions (the kernel holds the sender for an RCU grace period), and
in a short-lived thread that setns()es into a container's namespace.

pyroute2 reaches another namespace by forking a helper from the calling process; forked
from the engine's event loop, that child unwinds the engine's own stack when it ends
(logging the engine's stop and removing its socket), so the engine never lets it fork."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from pyroute2 import AsyncIPRoute, IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from tuibox.engine.domain.errors import NotFound, RuntimeFailure
from tuibox.engine.network.netns_sockets import run_in_netns

T = TypeVar("T")
RT_SCOPE_LINK = 253
RT_TABLE_MAIN = 254


@dataclass(frozen=True)
class Link:
    """One interface as the kernel lists it."""

    index: int
    name: str
    kind: str


@dataclass(frozen=True)
class Veth:
    """What plug puts in place: the host end on `bridge`, `ifname` inside `netns`."""

    bridge: str
    host_ifname: str
    ifname: str
    netns: str
    address: str
    prefixlen: int
    mac: str
    mtu: int
    gateway: str
    default_route: bool


class MissingBridge(RuntimeFailure):
    """plug found no bridge of that name (deleted behind the engine's back)."""


def failure(what: str, err: NetlinkError) -> RuntimeFailure:
    return RuntimeFailure(f"{what}: {os.strerror(err.code)} (netlink error {err.code})")


async def tolerate(code: int, what: str, request: Awaitable[object]) -> None:
    """Await a netlink request; the error `code` means it was already done."""
    try:
        await request
    except NetlinkError as err:
        if err.code != code:
            raise failure(what, err) from err


@asynccontextmanager
async def iproute() -> AsyncIterator[AsyncIPRoute]:
    """A netlink socket in the engine's own namespace."""
    try:
        ipr = AsyncIPRoute()
        await ipr.setup_endpoint()
    except (OSError, NetlinkError) as err:
        raise RuntimeFailure(f"cannot open a netlink socket: {err}") from err
    try:
        yield ipr
    finally:
        ipr.close()


async def lookup(ipr: AsyncIPRoute, name: str) -> int | None:
    found = await ipr.link_lookup(ifname=name)
    return found[0] if found else None


async def links(ipr: AsyncIPRoute) -> list[Link]:
    result = []
    async for msg in await ipr.get_links():
        info = msg.get("IFLA_LINKINFO")
        kind = info.get("IFLA_INFO_KIND") if info else ""
        result.append(Link(msg["index"], msg.get("ifname"), kind or ""))
    return result


async def ensure_bridge(name: str, mac: str, gateway: str, prefixlen: int, mtu: int) -> None:
    """The bridge with exactly this MAC, MTU and IPv4 address, up."""
    async with iproute() as ipr:
        index = await lookup(ipr, name)
        if index is None:
            await tolerate(
                errno.EEXIST,
                f"cannot create bridge {name}",
                ipr.link("add", ifname=name, kind="bridge", address=mac, mtu=mtu),
            )
            index = await lookup(ipr, name)
        if index is None:
            raise RuntimeFailure(f"bridge {name} vanished while being created")
        kind = next((link.kind for link in await links(ipr) if link.index == index), "")
        if kind != "bridge":
            raise RuntimeFailure(f"{name} exists and is not a bridge (it is a {kind or 'device'})")
        try:
            await ipr.link("set", index=index, address=mac, mtu=mtu)
        except NetlinkError as err:
            raise failure(f"cannot set MAC {mac} and MTU {mtu} on {name}", err) from err
        await _only_address(ipr, index, name, gateway, prefixlen)
        try:
            await ipr.link("set", index=index, state="up")
        except NetlinkError as err:
            raise failure(f"cannot bring {name} up", err) from err


async def _only_address(ipr: AsyncIPRoute, index: int, name: str, address: str, plen: int) -> None:
    """`address/plen` on the link, and no other IPv4 address (a changed subnet's old one)."""
    async for msg in await ipr.addr("dump", index=index, family=socket.AF_INET):
        old, old_plen = msg.get("IFA_ADDRESS"), msg["prefixlen"]
        if (old, old_plen) != (address, plen):
            await tolerate(
                errno.EADDRNOTAVAIL,
                f"cannot remove {old}/{old_plen} from {name}",
                ipr.addr("del", index=index, address=old, prefixlen=old_plen),
            )
    await tolerate(
        errno.EEXIST,
        f"cannot add {address}/{plen} to {name}",
        ipr.addr("add", index=index, address=address, prefixlen=plen),
    )


async def delete_link(name: str) -> bool:
    """Delete the link if present; True when this call deleted it.

    The kernel does a veth deletion inside the sending syscall, RCU grace period and all
    (10-30 ms), so it runs in a thread of its own: on AsyncIPRoute it froze the event loop
    for that long (a `run --rm`'s output drain and removal waited for it)."""
    return await asyncio.to_thread(_delete_link_blocking, name)


def _delete_link_blocking(name: str) -> bool:
    try:
        ipr = IPRoute()
    except (OSError, NetlinkError) as err:
        raise RuntimeFailure(f"cannot open a netlink socket: {err}") from err
    try:
        found = ipr.link_lookup(ifname=name)
        if not found:
            return False
        try:
            ipr.link("del", index=found[0])
        except NetlinkError as err:
            if err.code == errno.ENODEV:
                return False
            raise failure(f"cannot delete {name}", err) from err
        return True
    finally:
        ipr.close()


async def host_links() -> list[Link]:
    async with iproute() as ipr:
        return await links(ipr)


async def on_link_routes(skip_devices: set[str]) -> list[str]:
    """IPv4 on-link routes of the main table (`dst/len`), except those through skip_devices."""
    async with iproute() as ipr:
        names = {link.index: link.name for link in await links(ipr)}
        found = []
        async for msg in await ipr.route("dump", family=socket.AF_INET):
            if msg.get("RTA_TABLE") != RT_TABLE_MAIN or msg["scope"] != RT_SCOPE_LINK:
                continue
            if not msg["dst_len"] or names.get(msg.get("RTA_OIF")) in skip_devices:
                continue
            found.append(f"{msg.get('RTA_DST')}/{msg['dst_len']}")
        return found


async def plug(veth: Veth) -> None:
    """The veth pair in place (again, if it is already), configured on both ends."""
    async with iproute() as ipr:
        bridge = await lookup(ipr, veth.bridge)
        if bridge is None:
            raise MissingBridge(f"bridge {veth.bridge} does not exist")
        index = await lookup(ipr, veth.host_ifname)
        if index is not None and not await _peer_in(veth):
            await delete_link(veth.host_ifname)
            index = None
        if index is None:
            await _create_pair(ipr, veth)
            index = await lookup(ipr, veth.host_ifname)
        if index is None:
            raise RuntimeFailure(f"veth {veth.host_ifname} vanished while being created")
        try:
            await ipr.link("set", index=index, master=bridge, mtu=veth.mtu)
            await ipr.brport("set", index=index, mode=1)  # hairpin: "mode" is IFLA_BRPORT_MODE
            await ipr.link("set", index=index, state="up")
        except NetlinkError as err:
            raise failure(f"cannot put {veth.host_ifname} on {veth.bridge}", err) from err
    await _configure_inside(veth)


async def _inside(netns: str, work: Callable[[IPRoute], T]) -> T:
    """Run `work` with a netlink socket of the namespace at path `netns`."""

    def in_thread() -> T:
        try:
            ipr = IPRoute()
        except (OSError, NetlinkError) as err:
            raise RuntimeFailure(f"cannot open network namespace {netns}: {err}") from err
        try:
            return work(ipr)
        finally:
            ipr.close()

    try:
        return await run_in_netns(netns, in_thread)
    except NotFound as err:
        raise RuntimeFailure(f"cannot open network namespace {netns}: {err}") from err


async def _peer_in(veth: Veth) -> bool:
    return await _inside(veth.netns, lambda ns: bool(ns.link_lookup(ifname=veth.ifname)))


async def _create_pair(ipr: AsyncIPRoute, veth: Veth) -> None:
    try:
        fd = os.open(veth.netns, os.O_RDONLY)
    except OSError as err:
        raise RuntimeFailure(f"cannot open network namespace {veth.netns}: {err}") from err
    peer = {"ifname": veth.ifname, "net_ns_fd": fd, "address": veth.mac, "mtu": veth.mtu}
    try:
        await ipr.link("add", ifname=veth.host_ifname, kind="veth", mtu=veth.mtu, peer=peer)
    except NetlinkError as err:
        if err.code == errno.EEXIST:
            raise RuntimeFailure(
                f"cannot create {veth.ifname} in {veth.netns}: an interface of that name exists"
            ) from err
        raise failure(f"cannot create veth {veth.host_ifname}", err) from err
    finally:
        os.close(fd)


async def _configure_inside(veth: Veth) -> None:
    await _inside(veth.netns, lambda ns: _configure(ns, veth))


def _configure(ns: IPRoute, veth: Veth) -> None:
    """In the container's namespace: lo up, the MAC, MTU and address, up, the default route."""
    lo, index = ns.link_lookup(ifname="lo"), ns.link_lookup(ifname=veth.ifname)
    if not lo or not index:
        raise RuntimeFailure(f"{veth.ifname} is missing in {veth.netns}")
    try:
        ns.link("set", index=lo[0], state="up")
        ns.link("set", index=index[0], address=veth.mac, mtu=veth.mtu)
    except NetlinkError as err:
        raise failure(f"cannot configure {veth.ifname} in {veth.netns}", err) from err
    for msg in ns.get_addr(index=index[0], family=socket.AF_INET):
        old, old_plen = msg.get_attr("IFA_ADDRESS"), msg["prefixlen"]
        if (old, old_plen) != (veth.address, veth.prefixlen):
            try:
                ns.addr("del", index=index[0], address=old, prefixlen=old_plen)
            except NetlinkError as err:
                if err.code != errno.EADDRNOTAVAIL:
                    what = f"cannot remove {old}/{old_plen} from {veth.ifname}"
                    raise failure(what, err) from err
    _tolerate_sync(errno.EEXIST, f"cannot add {veth.address}/{veth.prefixlen} to {veth.ifname}",
                   lambda: ns.addr("add", index=index[0], address=veth.address,
                                   prefixlen=veth.prefixlen))  # fmt: skip
    try:
        ns.link("set", index=index[0], state="up")
    except NetlinkError as err:
        raise failure(f"cannot bring {veth.ifname} up in {veth.netns}", err) from err
    if veth.default_route:
        _replace_default_route(ns, veth.netns, veth.gateway)


def _replace_default_route(ns: IPRoute, netns: str, gateway: str) -> None:
    try:
        ns.route("replace", dst="0.0.0.0/0", gateway=gateway)
    except NetlinkError as err:
        raise failure(f"cannot set the default route via {gateway} in {netns}", err) from err


async def route_default(netns: str, gateway: str) -> None:
    """The default route of the namespace at `netns` via `gateway`, replacing any."""
    await _inside(netns, lambda ns: _replace_default_route(ns, netns, gateway))


def _tolerate_sync(code: int, what: str, request: Callable[[], object]) -> None:
    try:
        request()
    except NetlinkError as err:
        if err.code != code:
            raise failure(what, err) from err
