"""IPAM as Docker's default driver does it: pools, subnet choice, addresses, ValidateIPAM."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from tuibox.engine.domain.errors import Forbidden, InvalidArgument, Unavailable
from tuibox.engine.domain.network import NetworkRecord
from tuibox.engine.network.ipam import (
    DOCKER_POOLS,
    AddressPool,
    SubnetAddresses,
    check_no_overlap,
    choose_subnet,
    host_networks,
    lowest_host,
    validate_ipam,
)


def _net(subnet: str, gateway: str = "", ip_range: str = "", **aux: str) -> NetworkRecord:
    return NetworkRecord("n" * 64, "n", "bridge", "", subnet=subnet, gateway=gateway,
                         ip_range=ip_range, aux_addresses=aux)  # fmt: skip


def test_dockers_pools_make_31_networks_starting_with_172_17() -> None:
    subnets = [s for pool in DOCKER_POOLS for s in pool.subnets()]
    assert len(subnets) == 31
    assert [str(s) for s in subnets[:4]] == [
        "172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/16"
    ]  # fmt: skip
    assert [str(s) for s in subnets[14:16]] == ["172.31.0.0/16", "192.168.0.0/20"]
    assert [str(s) for s in subnets[-2:]] == ["192.168.224.0/20", "192.168.240.0/20"]


def test_the_first_subnet_free_of_tuibox_and_host_networks_is_chosen() -> None:
    taken = [IPv4Network("172.17.0.0/16")]
    host = [IPv4Network("172.18.5.0/24")]  # an on-link route of the host
    assert str(choose_subnet(DOCKER_POOLS, taken, host)) == "172.19.0.0/16"


def test_configured_pools_replace_dockers_and_are_carved_by_size() -> None:
    pools = (AddressPool(IPv4Network("10.10.0.0/16"), 24),)
    taken = [IPv4Network("10.10.0.0/24")]
    assert str(choose_subnet(pools, taken, [])) == "10.10.1.0/24"


def test_exhausted_pools_say_so_in_dockers_words() -> None:
    pools = (AddressPool(IPv4Network("10.10.0.0/23"), 24),)
    with pytest.raises(
        Unavailable, match=r"^all predefined address pools have been fully subnetted$"
    ):
        choose_subnet(pools, [IPv4Network("10.10.0.0/24")], [IPv4Network("10.10.1.7/32")])


def test_an_explicit_subnet_is_checked_against_tuibox_networks_only() -> None:
    check_no_overlap(IPv4Network("10.0.0.0/24"), [IPv4Network("10.0.1.0/24")])
    with pytest.raises(Forbidden) as refused:
        check_no_overlap(IPv4Network("10.0.0.0/16"), [IPv4Network("10.0.1.0/24")])
    assert str(refused.value) == (
        "invalid pool request: Pool overlaps with other one on this address space"
    )


def test_host_networks_keep_ipv4_and_skip_the_rest() -> None:
    found = host_networks(["192.168.1.0/24", "fe80::/64", "garbage", "10.0.0.53/32"])
    assert [str(n) for n in found] == ["192.168.1.0/24", "10.0.0.53/32"]


def test_gateway_is_the_lowest_address() -> None:
    assert lowest_host(IPv4Network("172.18.0.0/16")) == "172.18.0.1"


def test_containers_get_the_lowest_free_address_and_a_freed_one_at_once() -> None:
    book = SubnetAddresses.of(_net("172.18.0.0/16", "172.18.0.1"))
    assert [book.allocate() for _ in range(3)] == ["172.18.0.2", "172.18.0.3", "172.18.0.4"]
    book.release("172.18.0.3")
    assert book.allocate() == "172.18.0.3"
    assert book.allocate() == "172.18.0.5"


def test_network_broadcast_gateway_and_aux_addresses_are_never_handed_out() -> None:
    book = SubnetAddresses.of(_net("10.0.0.0/29", "10.0.0.6", router="10.0.0.1"))
    assert [book.allocate() for _ in range(4)] == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]
    with pytest.raises(Unavailable, match="no available addresses"):
        book.allocate()
    for taken in ("10.0.0.0", "10.0.0.7", "10.0.0.6", "10.0.0.1"):
        with pytest.raises(Forbidden, match=r"^Address already in use$"):
            book.allocate(taken)


def test_automatic_addresses_come_from_the_ip_range_fixed_ones_from_the_subnet() -> None:
    book = SubnetAddresses.of(_net("172.28.0.0/16", "172.28.5.254", "172.28.5.0/24"))
    assert book.allocate() == "172.28.5.0"  # the range's own first address is a host here
    assert book.allocate("172.28.9.9") == "172.28.9.9"
    with pytest.raises(InvalidArgument) as refused:
        book.allocate("10.1.1.1")
    assert str(refused.value) == (
        "no configured subnet or ip-range contain the IP address 10.1.1.1"
    )
    with pytest.raises(InvalidArgument, match="invalid IPv4 address"):
        book.allocate("not-an-ip")


def test_a_requested_address_in_use_is_refused_and_reserve_rebuilds() -> None:
    book = SubnetAddresses.of(_net("10.5.0.0/24", "10.5.0.1"))
    book.reserve("10.5.0.2")
    assert book.allocate() == "10.5.0.3"
    with pytest.raises(Forbidden):
        book.allocate("10.5.0.2")


def test_validate_ipam_lists_every_problem_in_dockers_words() -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_ipam([
            {"Subnet": "10.1.2.3/16", "IPRange": "10.2.0.0/24", "Gateway": "10.9.0.1",
             "AuxiliaryAddresses": {"a": "x"}},
            {"Subnet": "nope"},
        ])  # fmt: skip
    assert str(refused.value) == (
        "invalid network config:\n"
        "* invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16\n"
        "* invalid ip-range 10.2.0.0/24: parent subnet 10.1.0.0/16 doesn't contain ip-range\n"
        "* invalid gateway 10.9.0.1: parent subnet 10.1.0.0/16 doesn't contain this address\n"
        "* invalid auxiliary address a: invalid address\n"
        "* invalid subnet nope: invalid CIDR block notation"
    )


def test_validate_ipam_checks_the_range_shape() -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_ipam([{"Subnet": "10.1.0.0/24", "IPRange": "10.1.0.5/16"}])
    assert str(refused.value) == (
        "invalid network config:\n"
        "* invalid ip-range 10.1.0.5/16: CIDR block is bigger than its parent subnet 10.1.0.0/24\n"
        "* invalid ip-range 10.1.0.5/16: it should be 10.1.0.0/16"
    )
    validate_ipam([{"Subnet": "10.1.0.0/24", "IPRange": "10.1.0.128/25", "Gateway": "10.1.0.1"}])
