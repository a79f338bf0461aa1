"""Provides PortReservations: the host ports a running container publishes, held by the engine.

Each published port is bound (and a TCP one listened on) while its container runs, as
dockerd does: another program cannot take it, it shows in `ss`, and a port already taken
is refused at start in Docker's words. The traffic itself goes to the container through the
firewall's DNAT, which a listener here does not disturb. Random ports come round-robin
from the kernel's ip_local_port_range, as dockerd's allocator gives them.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from tuibox.engine.domain.errors import Conflict
from tuibox.engine.domain.network import PortBinding, Protocol
from tuibox.engine.services.containers.rules.ports import PortRequest

DEFAULT_RANGE = (49153, 65535)
RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def local_port_range(path: Path = RANGE_FILE) -> tuple[int, int]:
    """The kernel's ephemeral port range (dockerd's fallback when it cannot be read)."""
    try:
        low, high = (int(v) for v in path.read_text().split())
    except (OSError, ValueError):
        return DEFAULT_RANGE
    return (low, high) if 0 < low <= high <= 65535 else DEFAULT_RANGE


class PortReservations:
    """The ports held for each running container, and the next random port per address."""

    def __init__(self, port_range: tuple[int, int] | None = None) -> None:
        self.port_range = port_range or local_port_range()
        self.held: dict[str, list[tuple[PortBinding, socket.socket]]] = {}
        self._next: dict[tuple[str, str], int] = {}

    def _taken(self, host_ip: str, port: int, protocol: str) -> bool:
        for bindings in self.held.values():
            for binding, _ in bindings:
                if (binding.host_port, binding.protocol) == (port, protocol) and (
                    "0.0.0.0" in (binding.host_ip, host_ip) or binding.host_ip == host_ip
                ):
                    return True
        return False

    def reserve(
        self, container_id: str, requests: tuple[PortRequest, ...]
    ) -> tuple[PortBinding, ...]:
        """Bind every requested port for the container; all or nothing.

        Raises:
            Conflict: a port another container holds ("port is already allocated") or
                another program holds ("address already in use"), or no free port left.
        """
        taken: list[tuple[PortBinding, socket.socket]] = []
        try:
            for request in requests:
                taken.append(self._reserve_one(request))
        except Conflict:
            for _, sock in taken:
                sock.close()
            raise
        self.held.setdefault(container_id, []).extend(taken)
        return tuple(binding for binding, _ in taken)

    def _reserve_one(self, request: PortRequest) -> tuple[PortBinding, socket.socket]:
        if request.host_port_low:
            candidates = list(range(request.host_port_low, request.host_port_high + 1))
        else:
            low, high = self.port_range
            start = self._next.get((request.host_ip, request.protocol), low)
            candidates = [*range(start, high + 1), *range(low, start)]
        last_error = ""
        for port in candidates:
            address = f"{request.host_ip}:{port}"
            if self._taken(request.host_ip, port, request.protocol):
                last_error = f"Bind for {address} failed: port is already allocated"
                continue
            try:
                sock = _bind(request.host_ip, port, request.protocol)
            except OSError as err:
                reason = "address already in use" if err.errno == errno.EADDRINUSE else str(err)
                last_error = (f"failed to bind host port {address}/{request.protocol}: "
                              f"{reason}")  # fmt: skip
                continue
            if not request.host_port_low:
                self._next[(request.host_ip, request.protocol)] = (
                    port + 1 if port < self.port_range[1] else self.port_range[0]
                )
            protocol: Protocol = "udp" if request.protocol == "udp" else "tcp"
            binding = PortBinding(request.container_port, protocol, request.host_ip, port)
            return binding, sock
        raise Conflict(last_error or "no free host port left to publish on")

    def holds(self, container_id: str) -> tuple[PortBinding, ...]:
        return tuple(binding for binding, _ in self.held.get(container_id, []))

    def release(self, container_id: str) -> None:
        """Free the container's ports (its run ended)."""
        for _, sock in self.held.pop(container_id, []):
            sock.close()


def _bind(host_ip: str, port: int, protocol: str) -> socket.socket:
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:  # past TIME_WAIT; on UDP it would let two bind one port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host_ip, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(1)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock
