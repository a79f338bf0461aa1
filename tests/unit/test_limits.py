"""The limit rules: Docker's checks and wording, the OCI resources, inspect's view, updates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.host import LIMITS
from tuibox.client.stats import cpu_limit_cores
from tuibox.engine.cgroups.support import parse_cpu_list
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.runtime.conmon import pids_max_file
from tuibox.engine.services.containers.rules.limits import (
    check_limits,
    inspect_limits,
    merged_update,
    oci_resources,
)

MIB = 1024**2


@pytest.mark.parametrize(
    ("host_config", "words"),
    [
        ({"Memory": 4 * MIB}, "Minimum memory limit allowed is 6MB"),
        ({"Memory": -5}, "must not be negative"),
        ({"MemorySwap": 64 * MIB}, "You should always set the Memory limit"),
        ({"Memory": 64 * MIB, "MemorySwap": 32 * MIB}, "Minimum memoryswap limit should be larger"),
        ({"MemoryReservation": MIB}, "Minimum memory reservation allowed is 6MB"),
        ({"Memory": 64 * MIB, "MemoryReservation": 128 * MIB},
         "Minimum memory limit can not be less than memory reservation limit"),
        ({"MemorySwappiness": 101}, "valid memory swappiness range is 0-100"),
        ({"NanoCpus": 10**9, "CpuPeriod": 100000}, "Nano CPUs and CPU Period cannot both be set"),
        ({"NanoCpus": 10**9, "CpuQuota": 50000}, "Nano CPUs and CPU Quota cannot both be set"),
        ({"NanoCpus": 3 * 10**9}, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs"),
        ({"NanoCpus": 1000}, "Range of CPUs is from 0.01 to 2.00"),
        ({"CpuPeriod": 999}, "CPU cfs period can not be less than 1ms"),
        ({"CpuPeriod": 1000001}, "larger than 1s"),
        ({"CpuQuota": 999}, "CPU cfs quota can not be less than 1ms"),
        ({"CpuShares": 1}, "--cpu-shares 1 is out of the kernel's range"),
        ({"CpuShares": 262145}, "out of the kernel's range"),
        ({"CpusetCpus": "2"}, "Requested CPUs are not available - requested 2, available: 0-1"),
        ({"CpusetCpus": "a-b"}, "Invalid value a-b for cpuset cpus"),
        ({"CpusetMems": "1"}, "Requested Memory nodes are not available"),
        ({"BlkioWeight": 5}, "Range of blkio weight is from 10 to 1000"),
        ({"BlkioWeight": 500}, "--blkio-weight cannot be enforced on this host"),
        ({"Memory": "64m"}, "HostConfig.Memory must be an integer"),
        ({"PidsLimit": True}, "HostConfig.PidsLimit must be an integer"),
        ({"CpusetCpus": 1}, "HostConfig.CpusetCpus must be a string"),
        ({"Memory": 2**64}, "does not fit 64 bits"),
    ],
)  # fmt: skip
def test_out_of_range_limits_are_refused_with_dockers_words(
    host_config: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(").replace(".", r"\.")):
        check_limits(host_config, LIMITS)


def test_what_the_host_cannot_enforce_is_refused_by_flag() -> None:
    no_swap = replace(LIMITS, swap=False, swappiness=False)
    with pytest.raises(InvalidArgument, match="--memory-swap cannot be enforced"):
        check_limits({"Memory": 64 * MIB, "MemorySwap": 128 * MIB}, no_swap)
    with pytest.raises(InvalidArgument, match="--memory-swappiness cannot be enforced"):
        check_limits({"MemorySwappiness": 10}, no_swap)
    check_limits({"Memory": 64 * MIB, "MemorySwap": -1}, no_swap)  # unlimited needs nothing
    check_limits({"BlkioWeight": 500}, replace(LIMITS, blkio_weight=True))


def test_limits_in_range_pass() -> None:
    check_limits(
        {"Memory": 64 * MIB, "MemorySwap": -1, "MemoryReservation": 32 * MIB,
         "MemorySwappiness": 0, "NanoCpus": 1_500_000_000, "CpuShares": 512,
         "CpusetCpus": "0-1", "CpusetMems": "0", "PidsLimit": 100},
        LIMITS,
    )  # fmt: skip
    check_limits({"CpuPeriod": 50000, "CpuQuota": 25000, "MemorySwappiness": -1}, LIMITS)


def test_the_oci_resources_of_each_limit() -> None:
    resources = oci_resources(
        {"Memory": 64 * MIB, "MemorySwap": 128 * MIB, "MemoryReservation": 32 * MIB,
         "MemorySwappiness": 0, "NanoCpus": 500_000_000, "CpuShares": 512,
         "CpusetCpus": "0", "CpusetMems": "0", "PidsLimit": 50, "BlkioWeight": 300}
    )  # fmt: skip
    assert resources == {
        "memory": {"limit": 64 * MIB, "swap": 128 * MIB, "reservation": 32 * MIB,
                   "swappiness": 0},
        "cpu": {"shares": 512, "period": 100000, "quota": 50000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 50},
        "blockIO": {"weight": 300},
    }  # fmt: skip
    assert oci_resources({"CpuPeriod": 50000, "CpuQuota": 20000})["cpu"] == {
        "period": 50000, "quota": 20000,
    }  # fmt: skip


def test_unlimited_values_write_nothing_at_create() -> None:
    host_config = {"MemorySwap": -1, "CpuQuota": -1, "PidsLimit": -1, "MemorySwappiness": -1}
    assert oci_resources(host_config) == {}
    assert oci_resources({"PidsLimit": 0, "MemorySwappiness": None}) == {}


def test_inspect_shows_swap_twice_memory_as_docker_does() -> None:
    shown = inspect_limits({"Memory": 64 * MIB}, LIMITS)
    assert shown["MemorySwap"] == 128 * MIB
    assert (shown["NanoCpus"], shown["CpuShares"], shown["CpusetCpus"]) == (0, 0, "")
    assert shown["PidsLimit"] is None and shown["MemorySwappiness"] is None
    assert inspect_limits({"Memory": 64 * MIB, "MemorySwap": -1}, LIMITS)["MemorySwap"] == -1
    no_swap = replace(LIMITS, swap=False)
    assert inspect_limits({"Memory": 64 * MIB}, no_swap)["MemorySwap"] == 0


def test_an_update_replaces_only_what_it_gives() -> None:
    current = {"Memory": 64 * MIB, "MemorySwap": 128 * MIB, "CpuShares": 512, "PidsLimit": 50}
    updated = merged_update(current, {"Memory": 96 * MIB, "CpuShares": 0, "CpusetCpus": ""})
    assert updated == {**current, "Memory": 96 * MIB}
    assert merged_update(current, {"PidsLimit": 0})["PidsLimit"] == -1
    assert merged_update(current, {"PidsLimit": -1})["PidsLimit"] == -1
    assert merged_update(current, {"PidsLimit": None})["PidsLimit"] == 50


def test_an_update_of_the_cpus_replaces_the_quota_and_the_other_way_round() -> None:
    quota = merged_update({"CpuQuota": 50000, "CpuPeriod": 100000}, {"NanoCpus": 10**9})
    assert (quota["NanoCpus"], quota["CpuQuota"], quota["CpuPeriod"]) == (10**9, 0, 0)
    nano = merged_update({"NanoCpus": 10**9}, {"CpuQuota": 20000})
    assert (nano["NanoCpus"], nano["CpuQuota"]) == (0, 20000)


def test_memory_above_the_swap_limit_must_raise_the_swap_too() -> None:
    current = {"Memory": 64 * MIB, "MemorySwap": 128 * MIB}
    with pytest.raises(InvalidArgument, match="update the memoryswap at the same time"):
        merged_update(current, {"Memory": 256 * MIB})
    raised = merged_update(current, {"Memory": 256 * MIB, "MemorySwap": 512 * MIB})
    assert (raised["Memory"], raised["MemorySwap"]) == (256 * MIB, 512 * MIB)
    assert merged_update({}, {"Memory": 256 * MIB})["Memory"] == 256 * MIB


@pytest.mark.parametrize(
    ("host_config", "cores"),
    [({"NanoCpus": 1_500_000_000}, 1.5), ({"CpuQuota": 50000, "CpuPeriod": 100000}, 0.5),
     ({"CpuQuota": 25000}, 0.25), ({"CpuQuota": -1}, None), ({}, None)],
)  # fmt: skip
def test_the_cores_a_cpu_limit_allows(host_config: dict[str, Any], cores: float | None) -> None:
    assert cpu_limit_cores(host_config) == cores


def test_kernel_cpu_lists() -> None:
    assert parse_cpu_list("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    assert parse_cpu_list("") == frozenset()
    for bad in ("3-1", "x", "-1"):
        with pytest.raises(ValueError):
            parse_cpu_list(bad)


def test_the_pids_max_file_of_a_process(tmp_path: Path) -> None:
    v1 = ["12:pids:/tuibox/abc", "3:memory:/tuibox/abc", "0::/init.scope"]
    assert pids_max_file(v1, tmp_path) == tmp_path / "pids/tuibox/abc/pids.max"
    assert pids_max_file(["0::/tuibox/abc"], tmp_path) == tmp_path / "unified/tuibox/abc/pids.max"
    (tmp_path / "cgroup.controllers").write_text("cpu pids\n")
    assert pids_max_file(["0::/tuibox/abc"], tmp_path) == tmp_path / "tuibox/abc/pids.max"
    assert pids_max_file(["3:memory:/x"], tmp_path) is None
