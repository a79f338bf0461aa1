"""Host port reservations on loopback: fixed, random round-robin, ranges, and Docker's errors
for a port another container or another program holds."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from tuibox.engine.domain.errors import Conflict
from tuibox.engine.services.containers.ports import PortReservations
from tuibox.engine.services.containers.rules.ports import PortRequest

LOOPBACK = "127.0.0.1"


@pytest.fixture
def ports() -> Iterator[PortReservations]:
    reservations = PortReservations((40100, 40119))
    yield reservations
    for container_id in list(reservations.held):
        reservations.release(container_id)


def test_a_fixed_port_is_held_until_released(ports: PortReservations) -> None:
    (binding,) = ports.reserve("c1", (PortRequest(80, "tcp", LOOPBACK, 40105, 40105),))
    assert (binding.host_ip, binding.host_port, binding.container_port) == (LOOPBACK, 40105, 80)
    with socket.socket() as other, pytest.raises(OSError):
        other.bind((LOOPBACK, 40105))
    taken = re.escape("Bind for 127.0.0.1:40105 failed: port is already allocated")
    with pytest.raises(Conflict, match=taken):
        ports.reserve("c2", (PortRequest(81, "tcp", LOOPBACK, 40105, 40105),))
    ports.release("c1")
    with socket.socket() as other:
        other.bind((LOOPBACK, 40105))


def test_random_ports_go_round_robin_and_ranges_take_the_first_free(
    ports: PortReservations,
) -> None:
    first = ports.reserve("c1", (PortRequest(80, "tcp", LOOPBACK),))[0].host_port
    second = ports.reserve("c2", (PortRequest(80, "tcp", LOOPBACK),))[0].host_port
    assert (first, second) == (40100, 40101)
    ports.release("c1")
    third = ports.reserve("c3", (PortRequest(80, "tcp", LOOPBACK),))[0].host_port
    assert third == 40102, "round-robin: a freed port is not handed out again at once"
    ranged = ports.reserve("c4", (PortRequest(80, "tcp", LOOPBACK, 40101, 40104),))[0]
    assert ranged.host_port == 40103


def test_a_port_another_program_holds_is_refused_and_nothing_is_kept(
    ports: PortReservations,
) -> None:
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 40110))
        holder.listen(1)
        in_use = re.escape("failed to bind host port 127.0.0.1:40110/tcp: address already in use")
        with pytest.raises(Conflict, match=in_use):
            ports.reserve("c1", (PortRequest(80, "tcp", LOOPBACK, 40111, 40111),
                                 PortRequest(81, "tcp", LOOPBACK, 40110, 40110)))  # fmt: skip
    assert ports.held == {}
    with socket.socket() as again:
        again.bind((LOOPBACK, 40111))  # the first one was let go


def test_udp_ports_are_held_too(ports: PortReservations) -> None:
    ports.reserve("c1", (PortRequest(53, "udp", LOOPBACK, 40115, 40115),))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other, pytest.raises(OSError):
        other.bind((LOOPBACK, 40115))
    ports.reserve("c2", (PortRequest(53, "tcp", LOOPBACK, 40115, 40115),))  # another protocol
