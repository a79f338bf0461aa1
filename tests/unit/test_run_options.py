"""Tests the run dialog's options: -p parsing as Docker's, and the create body as the CLI's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.captured_bodies import CAPTURED
from tuibox.client import EngineClient, PortBinding
from tuibox.client.run_options import (
    RunOptionError,
    RunOptions,
    create_body,
    parse_command,
    parse_publish,
    parse_publish_list,
)

CLI = CAPTURED["docker-cli-28.2.2"]
"""What docker CLI 28.2.2 sent for each flag."""


def captured_publish(case: str) -> tuple[PortBinding, ...]:
    """The -p entries of a captured `docker create` argv, parsed by us."""
    argv = CLI[case]["argv"]
    specs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-p"]
    return tuple(binding for spec in specs for binding in parse_publish(spec))


@pytest.mark.parametrize(
    "case", ["-p 80", "-p 8080:80", "-p ip::ctr", "-p ip:host:ctr/tcp", "-p ipv6", "-p range",
             "-p sctp", "-p twice same ctr port", "-p udp"],
)  # fmt: skip
def test_publish_body_is_the_docker_clis(case: str) -> None:
    sent: dict[str, Any] = CLI[case]["body"]
    body = create_body("busybox", RunOptions(ports=captured_publish(case)))
    assert body["ExposedPorts"] == sent["ExposedPorts"]
    assert body["HostConfig"]["PortBindings"] == sent["HostConfig"]["PortBindings"]


def test_network_body_is_the_docker_clis() -> None:
    sent: dict[str, Any] = CLI["--network name"]["body"]
    body = create_body("busybox", RunOptions(network="mynet"))
    assert body["HostConfig"]["NetworkMode"] == sent["HostConfig"]["NetworkMode"] == "mynet"
    assert body["NetworkingConfig"] == sent["NetworkingConfig"]


def test_command_body_is_the_docker_clis() -> None:
    sent: dict[str, Any] = CLI["cmd-args"]["body"]
    body = create_body("busybox", RunOptions(command=parse_command("sh -c 'echo hi'")))
    assert body["Cmd"] == sent["Cmd"] == ["sh", "-c", "echo hi"]


def test_default_options_send_only_the_image() -> None:
    assert RunOptions().is_default
    assert create_body("busybox", RunOptions()) == {"Image": "busybox"}


def test_host_range_against_one_container_port_is_kept_as_a_range() -> None:
    assert parse_publish("8000-8010:80") == [PortBinding("80/tcp", "", "8000-8010")]


def test_container_range_without_host_port_binds_each_port() -> None:
    assert parse_publish("127.0.0.1::80-81/UDP") == [
        PortBinding("80/udp", "127.0.0.1", ""), PortBinding("81/udp", "127.0.0.1", "")
    ]


def test_list_splits_on_commas_and_spaces() -> None:
    assert parse_publish_list(" 8080:80,53:53/udp  9000 ") == (
        PortBinding("80/tcp", "", "8080"), PortBinding("53/udp", "", "53"),
        PortBinding("9000/tcp", "", ""),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("abc", "invalid containerPort: abc"),
        ("8080:", "no port specified: 8080:<empty>"),
        ("x:80", "invalid hostPort: x"),
        ("70000:80", "invalid hostPort: 70000"),
        ("90-80", "invalid containerPort: 90-80"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("8080-8082:80-81", "invalid ranges specified for container and host Ports: 80-81 and "
                            "8080-8082"),
        ("80/icmp", "invalid proto: icmp"),
    ],
)  # fmt: skip
def test_malformed_entries_get_dockers_message(spec: str, message: str) -> None:
    with pytest.raises(RunOptionError) as caught:
        parse_publish(spec)
    assert str(caught.value) == message


def test_unbalanced_quote_in_command_is_refused() -> None:
    with pytest.raises(RunOptionError, match="invalid command"):
        parse_command("sh -c 'echo")


async def test_run_image_sends_the_name_and_options_then_starts() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers={"Api-Version": "1.44", "Ostype": "linux"})
        requests.append(request)
        if request.url.path.endswith("/containers/create"):
            return httpx.Response(201, json={"Id": "f" * 64, "Warnings": []})
        return httpx.Response(204)

    client = EngineClient("/fake.sock", transport=httpx.MockTransport(handler))
    options = RunOptions("web", parse_publish_list("8080:80"), "front", ("httpd", "-f"))
    assert await client.run_image("busybox", options) == "f" * 64
    create, start = requests
    assert create.url.params["name"] == "web"
    assert json.loads(create.content) == {
        "Image": "busybox", "Cmd": ["httpd", "-f"], "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                       "NetworkMode": "front"},
        "NetworkingConfig": {"EndpointsConfig": {}},
    }  # fmt: skip
    assert start.url.path == f"/v1.44/containers/{'f' * 64}/start"
