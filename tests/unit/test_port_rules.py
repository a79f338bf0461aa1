"""Published and exposed ports of a create body: shapes, -P, and Docker's errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.ports import (
    PortRequest,
    exposed_ports,
    port_requests,
)


def test_bindings_fixed_random_and_ranges() -> None:
    host_config = {"PortBindings": {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "127.0.0.1", "HostPort": ""}],
        "53/udp": [{"HostPort": "5300-5310"}], "9000": [{}]}}  # fmt: skip
    assert port_requests(host_config, {}) == (
        PortRequest(80, "tcp", "0.0.0.0", 8080, 8080), PortRequest(80, "tcp", "127.0.0.1"),
        PortRequest(53, "udp", "0.0.0.0", 5300, 5310), PortRequest(9000, "tcp", "0.0.0.0"),
    )  # fmt: skip


def test_publish_all_takes_every_exposed_port_without_a_binding() -> None:
    body: dict[str, Any] = {"ExposedPorts": {"443/tcp": {}},
                            "HostConfig": {"PublishAllPorts": True,
                                           "PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}}
    exposed = exposed_ports(body, {"ExposedPorts": {"80/tcp": {}, "53/udp": {}}})
    assert exposed == {"80/tcp": {}, "53/udp": {}, "443/tcp": {}}
    assert port_requests(body["HostConfig"], exposed) == (
        PortRequest(80, "tcp", "0.0.0.0", 8080, 8080), PortRequest(53, "udp", "0.0.0.0"),
        PortRequest(443, "tcp", "0.0.0.0"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("bindings", "words"),
    [({"http/tcp": [{}]}, 'invalid port specification: "http/tcp"'),
     ({"80/tcp": [{"HostPort": "99999"}]}, 'invalid port specification: "99999"'),
     ({"80/tcp": [{"HostPort": "90-80"}]}, 'invalid port specification: "90-80"'),
     ({"80/sctp": [{}]}, "sctp ports are not supported by the tuibox engine yet"),
     ({"80/tcp": [{"HostIp": "::", "HostPort": "80"}]}, "IPv6 host addresses are not supported"),
     ({"80/tcp": [{"HostIp": "nope"}]}, "invalid host IP address 'nope'"),
     ({"80/tcp": [{"HostPort": 80}]}, "must be strings"),
     ({"80/tcp": [{"Extra": "x"}]}, "unknown port binding field Extra"),
     ({"80/tcp": {"HostPort": "80"}}, "must be a list of objects")],
)  # fmt: skip
def test_bad_bindings_are_refused_by_name(bindings: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(words)):
        port_requests({"PortBindings": bindings}, {})
