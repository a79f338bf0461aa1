"""Tests the PORTS texts against what `docker ps` prints, and the shorter forms and layouts."""

from __future__ import annotations

import pytest

from tuibox.client.models import ContainerSummary, PortSummary
from tuibox.widgets.container_table import CELL_PADDING, PORTS_MIN, Layout, plan_layout
from tuibox.widgets.ports import compact_ports, docker_ports, fit_ports


def published(host_port: int, container_port: int, proto: str = "tcp") -> list[PortSummary]:
    """What the engine lists for `-p host_port:container_port`: an IPv4 and an IPv6 binding."""
    return [PortSummary(container_port, proto, "0.0.0.0", host_port),
            PortSummary(container_port, proto, "::", host_port)]  # fmt: skip


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        pytest.param([], "", id="none"),
        pytest.param(published(8080, 80), "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
                     id="p-8080-80"),
        pytest.param([PortSummary(80)], "80/tcp", id="exposed-only"),
        pytest.param([PortSummary(8001), PortSummary(8000), PortSummary(53, "udp")],
                     "53/udp, 8000-8001/tcp", id="exposed-run"),
        pytest.param(published(8000, 8000) + published(8001, 8001),
                     "0.0.0.0:8000-8001->8000-8001/tcp, [::]:8000-8001->8000-8001/tcp",
                     id="p-range-same-ports"),
        pytest.param([PortSummary(80, "tcp", "127.0.0.1", 8080), PortSummary(443)],
                     "443/tcp, 127.0.0.1:8080->80/tcp", id="mapping-after-groups"),
        pytest.param([*published(32768, 80), PortSummary(80, "tcp", "127.0.0.1", 9000)],
                     "0.0.0.0:32768->80/tcp, 127.0.0.1:9000->80/tcp, [::]:32768->80/tcp",
                     id="ipv4-before-ipv6"),
        pytest.param([PortSummary(53, "udp", "0.0.0.0", 53), PortSummary(53, "tcp", "0.0.0.0", 53)],
                     "0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp", id="tcp-before-udp"),
        pytest.param([PortSummary(1), PortSummary(2), PortSummary(4)], "1-2/tcp, 4/tcp",
                     id="broken-run"),
    ],
)  # fmt: skip
def test_docker_ports_reads_as_docker_ps(ports: list[PortSummary], expected: str) -> None:
    assert docker_ports(ports) == expected


def test_ports_parse_from_the_list_json() -> None:
    raw = {"Id": "a" * 64, "Names": ["/web"], "State": "running",
           "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                     {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                     {"PrivatePort": 443, "Type": "tcp"}],
           "NetworkSettings": {"Networks": {"front": {}, "bridge": {}}}}  # fmt: skip
    container = ContainerSummary.from_json(raw)
    assert docker_ports(container.ports) == "443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
    assert container.networks == ("bridge", "front")
    assert [p.published for p in container.ports] == [True, True, False]


def test_compact_drops_every_interface_and_merges_twins() -> None:
    ports = published(8080, 80) + published(8443, 443) + [
        PortSummary(53, "udp", "127.0.0.1", 5353), PortSummary(9000)]  # fmt: skip
    assert compact_ports(ports) == ["9000/tcp", "127.0.0.1:5353->53/udp", "8080->80/tcp",
                                    "8443->443/tcp"]  # fmt: skip
    ranged = published(8000, 8000) + published(8001, 8001)
    assert compact_ports(ranged) == ["8000-8001->8000-8001/tcp"]


def test_fit_keeps_whole_mappings_then_counts_the_rest() -> None:
    mappings = ["8080->80/tcp", "8443->443/tcp", "9000/tcp"]
    assert fit_ports(mappings, 100) == "8080->80/tcp, 8443->443/tcp, 9000/tcp"
    assert fit_ports(mappings, 30) == "8080->80/tcp, 8443->443/tcp +1"
    assert fit_ports(mappings, 20) == "8080->80/tcp +2"
    assert fit_ports(mappings, 12) == "8080->80… +2"
    assert fit_ports(["8080->80/tcp"], 12) == "8080->80/tcp"
    assert fit_ports([], 12) == ""


WIDTHS = {"name": 5, "image": 14, "state": 7, "cpu": 10, "memory": 12, "status": 12,
          "ports": 38, "created": 13, "id": 12}  # fmt: skip


def width_of(hidden: set[str], ports: int | None = None) -> int:
    widths = {k: (ports if k == "ports" and ports else w) for k, w in WIDTHS.items()}
    return sum(w + CELL_PADDING for k, w in widths.items() if k not in hidden)


def test_layout_gives_way_in_order() -> None:
    full = width_of(set())
    assert plan_layout(WIDTHS, 12, full, True) == Layout()
    assert plan_layout(WIDTHS, 12, 0, True) == Layout()  # not laid out yet
    assert plan_layout(WIDTHS, 12, full - 1, True) == Layout(frozenset({"id"}))
    no_id = width_of({"id"}, 12)
    assert plan_layout(WIDTHS, 12, no_id, True) == Layout(frozenset({"id"}), "compact")
    compact = width_of({"id", "created"}, 12)
    assert plan_layout(WIDTHS, 12, no_id - 1, True) == Layout(frozenset({"id", "created"}),
                                                              "compact")  # fmt: skip
    cut = plan_layout(WIDTHS, 30, compact, True)
    assert cut == Layout(frozenset({"id", "created"}), "fit", 12)
    no_status = plan_layout(WIDTHS, 12, compact - 1, True)
    assert no_status == Layout(frozenset({"id", "created", "status"}), "compact")
    narrowest = width_of({"id", "created", "status", "ports"}) + CELL_PADDING + PORTS_MIN
    assert plan_layout(WIDTHS, 20, narrowest, True).ports_width == PORTS_MIN
    assert plan_layout(WIDTHS, 20, narrowest - 1, True) == Layout(
        frozenset({"id", "created", "ports"}))  # fmt: skip


def test_an_empty_ports_column_goes_first() -> None:
    widths = {**WIDTHS, "ports": 5}
    assert plan_layout(widths, 0, width_of(set(), 5) - 1, False) == Layout(frozenset({"ports"}))
    assert plan_layout(widths, 0, 40, False) == Layout(frozenset({"ports", "id", "created"}))
