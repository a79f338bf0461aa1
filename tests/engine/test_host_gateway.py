"""`--add-host NAME:host-gateway` under the docker CLI: the default bridge's gateway, or the
engine config's host-gateway-ip."""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


def _bridge_gateway(engine: EngineProcess) -> str:
    shown = engine.docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}",
                          "bridge")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_host_gateway_is_the_default_bridges_gateway(cli: EngineProcess) -> None:
    run = cli.docker("run", "--rm", "--add-host", "gw:host-gateway", "busybox",
                     "cat", "/etc/hosts")  # fmt: skip
    assert run.returncode == 0, run.stderr
    gateway = _bridge_gateway(cli)
    assert gateway and f"{gateway}\tgw" in run.stdout.splitlines()


def test_the_host_gateway_ip_config_key_is_what_host_gateway_maps_to(
    fresh_engine: EngineProcess,
) -> None:
    fresh_engine.stop()
    config = json.loads(fresh_engine.config_file.read_text())
    fresh_engine.config_file.write_text(json.dumps({**config, "host-gateway-ip": "192.0.2.7"}))
    fresh_engine.start()
    assert fresh_engine.docker("pull", "busybox").returncode == 0
    run = fresh_engine.docker("run", "--rm", "--add-host", "gw:host-gateway", "busybox",
                              "grep", "gw", "/etc/hosts")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout == "192.0.2.7\tgw\n"
    assert _bridge_gateway(fresh_engine) != "192.0.2.7"
