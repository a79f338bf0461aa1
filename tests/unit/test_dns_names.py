"""NameTable: Docker's name resolution for the embedded DNS server (pure)."""

from __future__ import annotations

import pytest

from tuibox.engine.network.dns_names import NameTable, endpoint_dns_names

WEB_ID = "a1b2c3d4e5f6" + "0" * 52
DB_ID = "f6e5d4c3b2a1" + "1" * 52


def table() -> NameTable:
    names = NameTable()
    names.add("mynet", WEB_ID, endpoint_dns_names("/web", ["www"], WEB_ID, "webhost"), "172.18.0.2")
    names.add("mynet", DB_ID, endpoint_dns_names("db", [], DB_ID, ""), "172.18.0.3")
    names.add("other", "lonely", ("lonely",), "172.19.0.2")
    return names


def test_endpoint_names_in_docker_order_without_duplicates() -> None:
    assert endpoint_dns_names("/web", ["www", "web"], WEB_ID, "a1b2c3d4e5f6") == (
        "web", "www", "a1b2c3d4e5f6")  # fmt: skip
    assert endpoint_dns_names("web", [], WEB_ID, "h") == ("web", "a1b2c3d4e5f6", "h")


@pytest.mark.parametrize("qname", ["db", "DB.", "f6e5d4c3b2a1", "db.mynet", "db.mynet."])
def test_names_resolve_without_case_or_trailing_dot(qname: str) -> None:
    assert table().resolve(WEB_ID, qname) == ["172.18.0.3"]


def test_every_kind_of_name_resolves() -> None:
    names = table()
    for name in ("web", "www", "a1b2c3d4e5f6", "webhost", "WebHost.mynet"):
        assert names.resolve(DB_ID, name) == ["172.18.0.2"], name


def test_only_the_askers_networks_are_searched() -> None:
    names = table()
    assert names.resolve(WEB_ID, "lonely") is None
    assert names.resolve("lonely", "web") is None
    assert names.resolve("a-stranger", "web") is None
    assert names.resolve(WEB_ID, "db.other") is None  # db is not on network "other"


def test_a_dotted_name_is_tried_whole_first_then_split_at_a_network() -> None:
    names = NameTable()
    names.add("net", "c1", ("app.v2",), "10.0.0.2")
    names.add("net", "c2", ("app",), "10.0.0.3")
    names.add("v2", "c1", ("app",), "10.0.1.2")
    names.add("b.c", "c1", ("a",), "10.0.2.2")
    assert names.resolve("c1", "app.v2") == ["10.0.0.2"]  # whole name on "net" wins
    assert names.resolve("c1", "app.net") == ["10.0.0.3"]
    assert names.resolve("c1", "a.b.c") == ["10.0.2.2"]  # network names may hold dots
    assert names.resolve("c1", "nothing.net") is None


def test_several_addresses_are_all_returned_and_shuffled() -> None:
    names = NameTable()
    for i in range(2, 8):
        names.add("net", f"c{i}", ("svc",), f"10.0.0.{i}")
    expected = [f"10.0.0.{i}" for i in range(2, 8)]
    orders = {tuple(names.resolve("c2", "svc") or []) for _ in range(50)}
    assert all(sorted(order) == expected for order in orders)
    assert len(orders) > 1


def test_reverse_names_the_first_name_and_the_network() -> None:
    names = table()
    assert names.reverse(DB_ID, "2.0.18.172.in-addr.arpa.") == "web.mynet"
    assert names.reverse(DB_ID, "2.0.18.172.IN-ADDR.ARPA") == "web.mynet"
    assert names.reverse(DB_ID, "9.0.18.172.in-addr.arpa.") is None
    assert names.reverse(DB_ID, "2.0.19.172.in-addr.arpa.") is None  # not the asker's network
    assert names.reverse(DB_ID, "1.2.0.18.172.in-addr.arpa.") is None
    assert names.reverse(DB_ID, "x.0.18.172.in-addr.arpa.") is None


def test_remove_forgets_the_names() -> None:
    names = table()
    names.remove("mynet", DB_ID)
    assert names.resolve(WEB_ID, "db") is None
    names.add("other", WEB_ID, ("web",), "172.19.0.3")
    names.remove_container(WEB_ID)
    assert names.networks_of(WEB_ID) == []
    assert names.resolve("lonely", "web") is None
    assert [entry.container_id for entry in names.entries("other")] == ["lonely"]


def test_only_ipv4_addresses_are_recorded() -> None:
    with pytest.raises(ValueError, match="not an IPv4 address"):
        NameTable().add("net", "c1", ("x",), "2001:db8::1")
