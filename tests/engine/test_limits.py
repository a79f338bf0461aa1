"""Resource limits against the real engine: written to the cgroup, enforced, shown, updated.

Each limit is checked where the kernel keeps it (the container's cgroup files), in
`docker inspect`, and by its effect: a memory hog is OOM-killed (exit 137, OOMKilled), a
fork bomb stops at the pids limit. `docker update` changes a running container's cgroup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.engine.conftest import EngineProcess, wait_for

pytestmark = pytest.mark.engine

MIB = 1024**2
CGROUPS = Path("/sys/fs/cgroup")


def _run_detached(cli: EngineProcess, *args: str) -> str:
    result = cli.docker("run", "-d", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _cgroup_file(cli: EngineProcess, container_id: str, controller: str, name: str) -> str:
    return (CGROUPS / controller / cli.root.name / container_id / name).read_text().strip()


def _host_config(cli: EngineProcess, name: str) -> dict[str, Any]:
    result = cli.docker("inspect", "-f", "{{json .HostConfig}}", name)
    assert result.returncode == 0, result.stderr
    host_config: dict[str, Any] = json.loads(result.stdout)
    return host_config


def test_limits_reach_the_cgroup_and_inspect(cli: EngineProcess) -> None:
    container_id = _run_detached(
        cli, "--name", "limited", "-m", "64m", "--memory-reservation", "32m", "--cpus", "0.5",
        "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50",
        "busybox", "sleep", "300",
    )  # fmt: skip
    assert _cgroup_file(cli, container_id, "memory", "memory.limit_in_bytes") == str(64 * MIB)
    memsw = _cgroup_file(cli, container_id, "memory", "memory.memsw.limit_in_bytes")
    assert memsw == str(128 * MIB)  # Docker's default: swap as much as memory
    assert _cgroup_file(cli, container_id, "memory", "memory.soft_limit_in_bytes") == str(32 * MIB)
    assert _cgroup_file(cli, container_id, "cpu", "cpu.cfs_period_us") == "100000"
    assert _cgroup_file(cli, container_id, "cpu", "cpu.cfs_quota_us") == "50000"
    assert _cgroup_file(cli, container_id, "cpu", "cpu.shares") == "512"
    assert _cgroup_file(cli, container_id, "cpuset", "cpuset.cpus") == "0"
    assert _cgroup_file(cli, container_id, "pids", "pids.max") == "50"
    host_config = _host_config(cli, "limited")
    assert host_config["Memory"] == 64 * MIB
    assert host_config["MemorySwap"] == 128 * MIB
    assert host_config["MemoryReservation"] == 32 * MIB
    assert host_config["NanoCpus"] == 500_000_000
    assert host_config["CpuShares"] == 512
    assert host_config["CpusetCpus"] == "0"
    assert host_config["PidsLimit"] == 50

    def mem_usage() -> str:
        row = cli.docker("stats", "--no-stream", "--format", "{{.MemUsage}}", "limited")
        return row.stdout.strip()

    wait_for(lambda: mem_usage() != "0B / 0B")  # the sampler's first tick
    assert mem_usage().endswith("/ 64MiB"), mem_usage()


def test_a_memory_hog_is_oom_killed_and_reported(cli: EngineProcess) -> None:
    # tmpfs pages cannot be reclaimed without swap, and --memory-swap equal to -m allows none.
    result = cli.docker(
        "run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", "busybox",
        "sh", "-c", "exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=64",
    )  # fmt: skip
    assert result.returncode == 137, (result.returncode, result.stderr)
    state = json.loads(cli.docker("inspect", "-f", "{{json .State}}", "hog").stdout)
    assert state["OOMKilled"] is True
    assert state["ExitCode"] == 137
    started = cli.docker("start", "-a", "hog")  # a new run starts with the flag cleared
    assert started.returncode == 137
    restarted = cli.docker("run", "--name", "calm", "-m", "16m", "busybox", "true")
    assert restarted.returncode == 0, restarted.stderr
    calm = json.loads(cli.docker("inspect", "-f", "{{json .State}}", "calm").stdout)
    assert calm["OOMKilled"] is False


def test_a_fork_bomb_stops_at_the_pids_limit(cli: EngineProcess) -> None:
    container_id = _run_detached(
        cli, "--name", "forks", "--pids-limit", "20", "busybox",
        "sh", "-c", "sh -c 'for i in $(seq 1 60); do sleep 300 & done'; exec sleep 300",
    )  # fmt: skip
    # The inner shell dies at its first failed fork; its sleeps and the outer one live on.
    wait_for(lambda: "can't fork" in cli.docker("logs", "forks").stderr)
    assert int(_cgroup_file(cli, container_id, "pids", "pids.current")) <= 20
    assert int(_cgroup_file(cli, container_id, "pids", "pids.events").split()[-1]) > 0


def test_docker_update_changes_a_running_container(cli: EngineProcess) -> None:
    container_id = _run_detached(cli, "--name", "grows", "-m", "64m", "--pids-limit", "50",
                                 "busybox", "sleep", "300")  # fmt: skip
    result = cli.docker("update", "-m", "128m", "--memory-swap", "256m", "--cpus", "1.5",
                        "--pids-limit", "-1", "grows")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _cgroup_file(cli, container_id, "memory", "memory.limit_in_bytes") == str(128 * MIB)
    memsw = _cgroup_file(cli, container_id, "memory", "memory.memsw.limit_in_bytes")
    assert memsw == str(256 * MIB)
    assert _cgroup_file(cli, container_id, "cpu", "cpu.cfs_quota_us") == "150000"
    assert _cgroup_file(cli, container_id, "pids", "pids.max") == "max"
    host_config = _host_config(cli, "grows")
    assert (host_config["Memory"], host_config["MemorySwap"]) == (128 * MIB, 256 * MIB)
    assert host_config["NanoCpus"] == 1_500_000_000
    assert host_config["PidsLimit"] == -1
    cli.docker("stop", "-t", "0", "grows")
    assert cli.docker("start", "grows").returncode == 0  # the next run keeps the new limits
    new_id = container_id
    assert _cgroup_file(cli, new_id, "memory", "memory.limit_in_bytes") == str(128 * MIB)


def test_an_update_the_kernel_refuses_changes_nothing(cli: EngineProcess) -> None:
    _run_detached(cli, "--name", "tight", "-m", "64m", "busybox", "sleep", "300")
    result = cli.docker("update", "-m", "256m", "tight")  # above the 128m swap limit
    assert result.returncode != 0
    assert "update the memoryswap at the same time" in result.stderr
    refused = cli.docker("update", "--kernel-memory", "64m", "tight")
    assert refused.returncode != 0
    assert _host_config(cli, "tight")["Memory"] == 64 * MIB


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["-m", "1m"], "Minimum memory limit allowed is 6MB"),
        (["--cpus", "64"], "Range of CPUs is from 0.01 to"),
        (["--cpuset-cpus", "63"], "Requested CPUs are not available"),
        (["--cpu-period", "100"], "CPU cfs period can not be less than 1ms"),
        (["-m", "64m", "--memory-reservation", "128m"],
         "Minimum memory limit can not be less than memory reservation limit"),
        (["--cpu-shares", "1"], "--cpu-shares 1 is out of the kernel's range"),
    ],
)  # fmt: skip
def test_limits_out_of_range_are_refused_and_leave_nothing(
    cli: EngineProcess, flags: list[str], words: str
) -> None:
    before = cli.docker("ps", "-aq").stdout
    result = cli.docker("run", "--name", "out-of-range", *flags, "busybox", "true")
    assert result.returncode == 125
    assert words in result.stderr
    assert cli.docker("ps", "-aq").stdout == before


def test_docker_py_sets_and_updates_limits(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host, version="auto", timeout=60)
    try:
        container = client.containers.run("busybox", ["sleep", "300"], detach=True,
                                          mem_limit="48m", nano_cpus=250_000_000)  # fmt: skip
        try:
            container.reload()
            assert container.attrs["HostConfig"]["Memory"] == 48 * MIB
            assert _cgroup_file(cli, container.id, "cpu", "cpu.cfs_quota_us") == "25000"
            container.update(cpu_shares=256)
            assert _cgroup_file(cli, container.id, "cpu", "cpu.shares") == "256"
        finally:
            container.remove(force=True)
    finally:
        client.close()
