"""A create body's network mode and endpoints read as a NetworkPlan, with Docker's errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.network import Attachment
from tuibox.engine.services.containers.rules.networking import NetworkPlan, network_plan


def _body(mode: str | None = None, endpoints: dict[str, Any] | None = None,
          **fields: Any) -> dict[str, Any]:  # fmt: skip
    host_config = dict(fields.pop("HostConfig", {}))
    if mode is not None:
        host_config["NetworkMode"] = mode
    body: dict[str, Any] = {"Image": "busybox", "HostConfig": host_config, **fields}
    if endpoints is not None:
        body["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    return body


@pytest.mark.parametrize("mode", [None, "", "default", "bridge"])
def test_the_default_is_the_default_bridge(mode: str | None) -> None:
    plan = network_plan(_body(mode, {"default": {}} if mode == "default" else None))
    assert plan == NetworkPlan("bridge", (Attachment("bridge"),))
    assert plan.network_mode == "bridge" and plan.private_namespace


def test_a_user_network_with_aliases_an_address_and_a_second_network() -> None:
    plan = network_plan(_body("front", {
        "front": {"Aliases": ["web", "web"], "IPAMConfig": {"IPv4Address": "10.5.0.9"}},
        "back": {"Aliases": ["api"]}}))  # fmt: skip
    assert plan.mode == "network" and plan.network_mode == "front"
    assert plan.attachments == (Attachment("front", ("web",), "10.5.0.9"),
                                Attachment("back", ("api",)))  # fmt: skip


@pytest.mark.parametrize(("mode", "expected"), [
    ("none", NetworkPlan("none")), ("host", NetworkPlan("host")),
    ("container:db", NetworkPlan("container", container="db"))])  # fmt: skip
def test_none_host_and_a_shared_namespace(mode: str, expected: NetworkPlan) -> None:
    plan = network_plan(_body(mode, {mode.partition(":")[0]: {}}))
    assert plan == expected
    assert plan.network_mode == mode and plan.private_namespace == (mode == "none")


@pytest.mark.parametrize(
    ("body", "words"),
    [(_body("container:"), "invalid network mode: invalid container format container:<name|id>"),
     (_body("container:db", Hostname="x"), "conflicting options: hostname and the network mode"),
     (_body("container:db", HostConfig={"Dns": ["1.1.1.1"]}), "conflicting options: dns"),
     (_body("container:db", HostConfig={"ExtraHosts": ["a:1.2.3.4"]}),
      "conflicting options: custom host-to-IP mapping and the network mode"),
     (_body("container:db", HostConfig={"PortBindings": {"80/tcp": [{}]}}),
      "conflicting options: port publishing and the container type network mode"),
     (_body("container:db", ExposedPorts={"80/tcp": {}}),
      "conflicting options: port exposing and the container type network mode"),
     (_body("host", HostConfig={"PublishAllPorts": True}),
      "conflicting options: port publishing and the host network mode"),
     (_body("none", HostConfig={"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}),
      "conflicting options: port publishing and the none network mode"),
     (_body("bridge", {"bridge": {"Aliases": ["x"]}}),
      "network-scoped alias is supported only for containers in user defined networks"),
     (_body(None, {"bridge": {"IPAMConfig": {"IPv4Address": "172.17.0.9"}}}),
      "user specified IP address is supported on user defined networks only"),
     (_body("n", {"n": {"IPAMConfig": {"IPv4Address": "fe80::1"}}}), "invalid IPv4 address"),
     (_body("n", {"n": {"IPAMConfig": {"IPv6Address": "fe80::1"}}}),
      "IPAMConfig.IPv6Address (--ip6/--link-local-ip) is not supported"),
     (_body("n", {"n": {"Links": ["a:b"]}}),
      "--link is not supported by the tuibox engine yet (NetworkingConfig.EndpointsConfig.n."),
     (_body("none", {"other": {"Aliases": ["a"]}}), "cannot join network other"),
     (_body(None, HostConfig={"NetworkMode": 5}), "HostConfig.NetworkMode must be a string")],
)  # fmt: skip
def test_bad_network_settings_are_refused_with_dockers_words(
    body: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(words)):
        network_plan(body)


def test_output_fields_sent_back_unset_pass() -> None:
    plan = network_plan(_body("n", {"n": {"NetworkID": "", "IPAddress": "", "IPPrefixLen": 0}}))
    assert plan.attachments == (Attachment("n"),)
