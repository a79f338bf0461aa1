"""Networking leaves nothing behind: 100 create/start/remove cycles (some in parallel), and an
engine SIGKILLed in the middle of starting a networked container, return the veths,
addresses, TUIBOX iptables lines and IPAM leases (endpoint records) exactly to where they
were."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.engine.conftest import EngineProcess, wait_for
from tests.engine.net_inventory import NetInventory, inventory

pytestmark = pytest.mark.engine

CYCLES = 100
PARALLEL = 3
HOST_VETH = re.compile(r"tbx[0-9a-f]{7}")


def docker_ok(engine: EngineProcess, *args: str) -> str:
    done = engine.docker(*args)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def warmed_up(engine: EngineProcess, network: str) -> NetInventory:
    """Pull busybox, create the user network and bring both bridges up with one run each,
    so the baseline holds what stays for the engine's lifetime."""
    docker_ok(engine, "pull", "busybox")
    docker_ok(engine, "network", "create", "--subnet", "10.214.0.0/24", network)
    docker_ok(engine, "run", "--rm", "-p", "80", "busybox", "true")
    docker_ok(engine, "run", "--rm", "--network", network, "busybox", "true")
    wait_for(lambda: inventory(engine).veths == ())  # a run's veth goes after its die event
    return inventory(engine)


def assert_back_to(engine: EngineProcess, before: NetInventory) -> None:
    """The inventory returns to `before`: veths of ended runs are deleted in the background
    after their die event, so give them a moment, then compare (showing the difference)."""
    with contextlib.suppress(AssertionError):
        wait_for(lambda: inventory(engine) == before, seconds=10)
    assert inventory(engine) == before


def cycle(engine: EngineProcess, index: int, network: str) -> None:
    kind = index % 4
    if kind == 0:
        docker_ok(engine, "run", "--rm", "-p", "80", "-p", f"{20000 + index}:81/udp", "busybox",
                  "true")  # fmt: skip
    elif kind == 1:
        docker_ok(engine, "run", "--rm", "busybox", "true")
    elif kind == 2:
        container = docker_ok(engine, "create", "-p", f"{21000 + index}:80", "--expose", "90",
                              "-P", "busybox", "sleep", "30")  # fmt: skip
        docker_ok(engine, "start", container)
        docker_ok(engine, "rm", "-f", container)
    else:
        docker_ok(engine, "run", "--rm", "--network", network, "-p", "80", "busybox", "true")


def test_a_hundred_cycles_leave_the_kernel_and_the_leases_as_they_were(
    fresh_engine: EngineProcess,
) -> None:
    network = "leaknet"
    before = warmed_up(fresh_engine, network)
    assert before.veths == ()
    assert before.leases == ()
    assert any("tuibox0" in a for a in before.addresses)
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda i: cycle(fresh_engine, i, network), range(CYCLES)))
    assert fresh_engine.docker("ps", "-aq").stdout.split() == []
    assert_back_to(fresh_engine, before)


def _start_and_kill_when_plugged(engine: EngineProcess, container_id: str) -> None:
    """Send POST /start on the raw socket, then SIGKILL the engine the moment the run's host
    veth shows in its namespace (start is then between plug and the container's start)."""
    assert engine.namespace is not None and engine.process is not None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(engine.socket))
    pid = engine.process.pid

    def watch() -> bool:
        client.sendall(f"POST /v1.44/containers/{container_id}/start HTTP/1.1\r\n"
                       "Host: tuibox\r\nContent-Length: 0\r\n\r\n".encode())  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(HOST_VETH.fullmatch(name) for _, name in socket.if_nameindex()):
                os.kill(pid, signal.SIGKILL)
                return True
        os.kill(pid, signal.SIGKILL)
        return False

    try:
        assert engine.namespace.run(watch), "the run's veth never appeared"
    finally:
        client.close()
    engine.process.wait(timeout=10)


def test_an_engine_killed_while_starting_a_networked_container_is_reconciled(
    fresh_engine: EngineProcess,
) -> None:
    network = "killnet"
    before = warmed_up(fresh_engine, network)
    container = docker_ok(fresh_engine, "create", "--network", network, "-p", "18400:80",
                          "busybox", "sleep", "300")  # fmt: skip
    _start_and_kill_when_plugged(fresh_engine, container)
    assert inventory(fresh_engine) != before  # the kill did leave a half-made run behind
    fresh_engine.stop(sig_kill=True)
    fresh_engine.start()
    running = docker_ok(fresh_engine, "inspect", "-f", "{{.State.Running}}", container)
    after = inventory(fresh_engine)
    if running == "true":  # the run outlived the engine: its endpoint is kept, whole
        assert len(after.veths) == 1 and len(after.leases) == 1
    else:
        assert_back_to(fresh_engine, before)
    docker_ok(fresh_engine, "rm", "-f", container)
    assert_back_to(fresh_engine, before)
    # The port and the address are free again: the same run works.
    again = docker_ok(fresh_engine, "run", "-d", "--network", network, "-p", "18400:80",
                      "busybox", "sleep", "300")  # fmt: skip
    docker_ok(fresh_engine, "rm", "-f", again)
    assert_back_to(fresh_engine, before)
