"""The /etc files the engine writes for a container, on the fakes: Docker's 0644, atomically."""

from __future__ import annotations

import stat
from dataclasses import replace

from tests.services.conftest import Engine, new_engine


async def test_the_etc_files_are_0644_and_stay_so_when_rewritten(engine: Engine) -> None:
    cid = await engine.run("sleep", "300")
    paths = engine.context.paths(cid)
    files = (paths.hostname_file, paths.hosts_file, paths.resolv_file)
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644] * 3
    inodes = [f.stat().st_ino for f in files]
    await engine.services.containers.lifecycle.stop(cid, 0, None)
    await engine.services.containers.lifecycle.start(cid)
    await engine.settle()
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644] * 3
    # each replaced by a rename of a finished file, none left half-written
    assert all(f.stat().st_ino != inode for f, inode in zip(files, inodes, strict=True))
    assert [p.name for p in paths.hosts_file.parent.iterdir() if p.name.startswith(".")] == []


async def test_add_host_host_gateway_is_the_default_bridges_gateway(engine: Engine) -> None:
    cid = await engine.run("sleep", "300", HostConfig={"ExtraHosts": ["gw:host-gateway"]})
    gateway = engine.services.networks.lookup("bridge").gateway
    assert gateway
    assert f"{gateway}\tgw" in engine.context.paths(cid).hosts_file.read_text().splitlines()


async def test_the_host_gateway_ip_config_key_wins_over_the_bridge(engine: Engine) -> None:
    await engine.crash()
    configured = new_engine(replace(engine.config, host_gateway_ip="192.0.2.7"), engine.seams)
    engine.successor = configured
    await configured.services.containers.start_up()
    cid = await configured.run("sleep", "300", HostConfig={"ExtraHosts": ["gw:host-gateway"]})
    hosts = configured.context.paths(cid).hosts_file.read_text().splitlines()
    assert "192.0.2.7\tgw" in hosts
    assert configured.services.networks.lookup("bridge").gateway != "192.0.2.7"
