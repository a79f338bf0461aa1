"""The /etc files a container gets: --add-host, --dns* applied to the host's resolv.conf (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.etc_files import (
    HOSTS_HEADER,
    EtcSettings,
    etc_settings,
    hostname_file,
    hosts_file,
    resolv_file,
    uses_host_gateway,
)

HOST = ("# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\n"
        "options edns0\n")


def test_hostname_and_hosts() -> None:
    assert hostname_file("web") == "web\n"
    settings = etc_settings({"ExtraHosts": ["db:10.1.2.3", "v6=2001:db8::1", "alt 10.0.0.9"]})
    assert hosts_file(settings) == (HOSTS_HEADER + "10.1.2.3\tdb\n2001:db8::1\tv6\n"
                                    "10.0.0.9\talt\n")  # fmt: skip
    assert hosts_file(EtcSettings()).startswith("127.0.0.1\tlocalhost\n")


def test_resolv_conf_drops_loopback_nameservers_and_keeps_the_rest() -> None:
    assert resolv_file(HOST, EtcSettings()) == (
        "nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n")  # fmt: skip
    only_loopback = "nameserver 127.0.0.53\nnameserver ::1\n"
    assert resolv_file(only_loopback, EtcSettings()) == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"


def test_dns_flags_replace_their_lines() -> None:
    settings = etc_settings({"Dns": ["1.1.1.1"], "DnsSearch": ["a.example", "b.example"],
                             "DnsOptions": ["ndots:2", "rotate"]})  # fmt: skip
    assert resolv_file(HOST, settings) == (
        "nameserver 1.1.1.1\nsearch a.example b.example\noptions ndots:2 rotate\n")  # fmt: skip
    assert "search" not in resolv_file(HOST, etc_settings({"DnsSearch": ["."]}))


@pytest.mark.parametrize(
    ("host_config", "words"),
    [
        ({"ExtraHosts": ["db:not-an-ip"]}, "invalid IP address in add-host"),
        ({"ExtraHosts": ["-bad:10.0.0.1"]}, "bad host name"),
        ({"Dns": ["dns.example"]}, "is not an IP address (--dns)"),
        ({"DnsSearch": ["bad domain"]}, "is not a valid domain"),
        ({"DnsOptions": ["ndots 2"]}, "is not a resolver option"),
        ({"ExtraHosts": "db:1.2.3.4"}, "must be a list of strings"),
    ],
)
def test_bad_entries_are_refused(host_config: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(").replace(")", r"\)")):
        etc_settings(host_config)


def test_host_gateway_is_written_as_the_address_given() -> None:
    settings = etc_settings({"ExtraHosts": ["gw:host-gateway", "db=10.0.0.5"]})
    assert settings.extra_hosts == (("gw", "host-gateway"), ("db", "10.0.0.5"))
    assert uses_host_gateway(settings)
    assert hosts_file(settings, "172.17.0.1").endswith("172.17.0.1\tgw\n10.0.0.5\tdb\n")


def test_host_gateway_without_an_address_is_refused_in_dockerds_words() -> None:
    settings = etc_settings({"ExtraHosts": ["gw:host-gateway"]})
    with pytest.raises(InvalidArgument, match="unable to derive the IP value for host-gateway"):
        hosts_file(settings, "")
    assert not uses_host_gateway(etc_settings({"ExtraHosts": ["db:10.0.0.5"]}))
