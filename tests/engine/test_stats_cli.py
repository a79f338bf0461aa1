"""`docker stats`, `docker top` and docker-py's stats against the real engine and cgroups.

The figures must be what the cgroup files say, through Docker's own formulas: a process
holding 96 MiB reads about 96 MiB, a busy loop about one core, pids what was started.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator

import docker
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine

MIB = 1024**2
HOLD_96_MIB = "dd if=/dev/zero bs=96M count=1 2>/dev/null | sleep 300"
BUSY_LOOP = "while :; do :; done"
THREE_PROCESSES = "sleep 300 & sleep 300 & wait"


@pytest.fixture
def run_detached(engine: EngineProcess) -> Iterator[Callable[[str, str], str]]:
    """Start busybox `sh -c SCRIPT` detached under a name; remove everything afterwards."""
    assert engine.docker("pull", "busybox").returncode == 0
    names: list[str] = []

    def run(name: str, script: str) -> str:
        result = engine.docker("run", "-d", "--name", name, "busybox", "sh", "-c", script)
        assert result.returncode == 0, result.stderr
        names.append(name)
        return result.stdout.strip()

    yield run
    for name in names:
        engine.docker("rm", "-f", name)


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.2)


def _row(engine: EngineProcess, name: str) -> dict[str, str]:
    result = engine.docker("stats", "--no-stream", "--format", "{{json .}}", name)
    assert result.returncode == 0, result.stderr
    row: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return row


def _mib(text: str) -> float:
    """Docker's binary sizes ("96.2MiB", "0B") in MiB."""
    match = re.fullmatch(r"([0-9.]+)\s*([KMG]i)?B", text.strip())
    assert match is not None, text
    scale = {None: 1 / MIB, "Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0}[match.group(2)]
    return float(match.group(1)) * scale


def _megabytes(text: str) -> float:
    """Docker's decimal sizes of NET I/O ("1.26kB", "3.2MB", "0B") in MB."""
    match = re.fullmatch(r"([0-9.]+)\s*([kMG])?B", text.strip())
    assert match is not None, text
    scale = {None: 1e-6, "k": 1e-3, "M": 1.0, "G": 1e3}[match.group(2)]
    return float(match.group(1)) * scale


def test_docker_stats_reads_what_a_process_holds(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    run_detached("holder", HOLD_96_MIB)
    _wait_for(lambda: _mib(_row(engine, "holder")["MemUsage"].split("/")[0]) > 90)
    used = _mib(_row(engine, "holder")["MemUsage"].split("/")[0])
    assert 90 <= used <= 110, used


def test_docker_stats_reads_a_busy_loop_as_one_core(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    run_detached("spinner", BUSY_LOOP)
    time.sleep(2.5)  # two ticks of the sampler with the loop running: a full delta
    percent = float(_row(engine, "spinner")["CPUPerc"].rstrip("%"))
    assert 70 <= percent <= 130, percent


def test_docker_stats_counts_the_processes(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    run_detached("three", THREE_PROCESSES)
    _wait_for(lambda: _row(engine, "three")["PIDs"] == "3")
    top = engine.docker("top", "three")
    assert top.returncode == 0, top.stderr
    lines = top.stdout.strip().splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert sorted(line.split(None, 7)[-1] for line in lines[1:]) == [
        "sh -c sleep 300 & sleep 300 & wait", "sleep 300", "sleep 300"]  # fmt: skip


def test_docker_py_stats_give_dockers_fields(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    run_detached("pystats", HOLD_96_MIB)
    client = docker.DockerClient(base_url=engine.host, version="auto", timeout=30)
    try:
        container = client.containers.get("pystats")
        _wait_for(lambda: container.stats(stream=False)["memory_stats"].get("usage", 0) > 90 * MIB)
        document = container.stats(stream=False)
        for key in ("read", "preread", "cpu_stats", "precpu_stats", "memory_stats",
                    "blkio_stats", "pids_stats", "name", "id"):  # fmt: skip
            assert key in document, key
        usage = document["cpu_stats"]["cpu_usage"]
        assert {"total_usage", "usage_in_kernelmode", "usage_in_usermode"} <= set(usage)
        assert document["cpu_stats"]["online_cpus"] >= 1
        memory = document["memory_stats"]
        assert "total_inactive_file" in memory["stats"] or "inactive_file" in memory["stats"]
        stream = container.stats(stream=True, decode=True)
        first, second = next(stream), next(stream)
        assert second["read"] > first["read"]
        assert second["precpu_stats"]["cpu_usage"]["total_usage"] > 0
    finally:
        client.close()


def test_stats_of_a_stopped_container_are_empty(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    run_detached("stopped", "true")
    _wait_for(lambda: "Exited" in engine.docker("ps", "-a", "--filter", "name=stopped").stdout)
    row = _row(engine, "stopped")
    assert row["CPUPerc"] == "0.00%" and row["PIDs"] == "0"


def test_network_io_counts_the_containers_own_interface(
    engine: EngineProcess, run_detached: Callable[[str, str], str]
) -> None:
    # 3 MB each way through eth0 to its gateway (the bridge, in the engine's namespace).
    run_detached("talker", "ping -c 100 -i 0.01 -s 30000 -q $(ip route | awk '/default/ "
                 "{print $3}'); sleep 300")  # fmt: skip
    _wait_for(lambda: _megabytes(_row(engine, "talker")["NetIO"].split("/")[1]) > 2.5,
              seconds=20)  # fmt: skip
    received, sent = (_megabytes(side) for side in _row(engine, "talker")["NetIO"].split("/"))
    assert received > 2.5 and sent > 2.5, (received, sent)
    client = docker.DockerClient(base_url=engine.host, version="auto", timeout=30)
    try:
        networks = client.containers.get("talker").stats(stream=False)["networks"]
    finally:
        client.close()
    assert list(networks) == ["eth0"], "loopback is left out, as Docker does"
    assert networks["eth0"]["tx_packets"] >= 2000 and networks["eth0"]["rx_bytes"] > 2.5 * MIB
