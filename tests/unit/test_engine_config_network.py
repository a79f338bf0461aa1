"""The engine config's network keys: default-address-pools and bip, checked as dockerd does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tuibox.engine.domain.config import load_config
from tuibox.engine.domain.errors import InvalidArgument


def _load(tmp_path: Path, keys: dict[str, Any]) -> Any:
    path = tmp_path / "engine.json"
    path.write_text(json.dumps(keys))
    return load_config(path)


def test_pools_and_bip_are_honoured(tmp_path: Path) -> None:
    config = _load(tmp_path, {"default-address-pools": [{"base": "10.10.0.0/16", "size": 24}],
                              "bip": "192.168.1.1/24"})  # fmt: skip
    assert config.default_address_pools == (("10.10.0.0/16", 24),)
    assert config.bip == "192.168.1.1/24"


def test_an_empty_pool_list_means_dockers_pools(tmp_path: Path) -> None:
    assert _load(tmp_path, {"default-address-pools": []}).default_address_pools == ()


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([{"base": "10.10.0.0/16", "size": 8}],
         "network at index 0 (10.10.0.0/16) has a smaller prefix (/16) than the target size "
         "of that pool (/8)"),
        ([{"base": "10.10.0.1/16", "size": 24}], "is not an IPv4 network in CIDR form"),
        ([{"base": "fd00::/16", "size": 32}], "IPv6 is not supported"),
        ([{"base": "10.10.0.0/16"}], 'entry 0 must hold exactly "base" and "size"'),
        ([{"base": "10.10.0.0/16", "size": "24"}], "size must be an integer from 1 to 32"),
        ({"base": "10.10.0.0/16", "size": 24}, "must be a list"),
    ],
)  # fmt: skip
def test_bad_pools_are_refused_by_name(tmp_path: Path, pools: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        _load(tmp_path, {"default-address-pools": pools})
    assert "default-address-pools" in str(refused.value)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("bip", "message"),
    [
        ("192.168.1.1", "is not an IPv4 address with a prefix length"),
        ("fd00::1/64", "is not an IPv4 address with a prefix length"),
        ("192.168.1.0/24", "the network's own address"),
        ("192.168.1.255/24", "broadcast"),
        (24, "is not an IPv4 address"),
    ],
)
def test_bad_bips_are_refused(tmp_path: Path, bip: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        _load(tmp_path, {"bip": bip})
    assert "bip" in str(refused.value)
    assert message in str(refused.value)


def test_host_gateway_ip_is_honoured(tmp_path: Path) -> None:
    assert _load(tmp_path, {"host-gateway-ip": "192.0.2.7"}).host_gateway_ip == "192.0.2.7"
    assert _load(tmp_path, {"host-gateway-ip": "2001:db8::7"}).host_gateway_ip == "2001:db8::7"
    assert _load(tmp_path, {}).host_gateway_ip == ""


@pytest.mark.parametrize("value", ["192.0.2", "192.0.2.0/24", "gateway", 7, ["192.0.2.7"]])
def test_bad_host_gateway_ips_are_refused(tmp_path: Path, value: Any) -> None:
    with pytest.raises(InvalidArgument) as refused:
        _load(tmp_path, {"host-gateway-ip": value})
    assert f"host-gateway-ip {value!r} is not an IP address" in str(refused.value)
