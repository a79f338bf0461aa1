"""The docker CLI's stats formulas on Docker stats documents, and the stats models' parsing."""

from __future__ import annotations

from typing import Any

import pytest

from tuibox.client.stats import (
    block_bytes,
    cpu_percent,
    memory_used,
    network_bytes,
    sample_from_docker,
)
from tuibox.client.stats_models import StatsBatch, StatsHistory

MIB = 1024**2


def document(**overrides: Any) -> dict[str, Any]:
    """A Docker stats document of a container using 0.5 s of CPU in 1 s on 4 CPUs."""
    base: dict[str, Any] = {
        "read": "2026-12-01T10:00:01.000000000Z",
        "cpu_stats": {"cpu_usage": {"total_usage": 1_500_000_000, "percpu_usage": [1, 2, 3, 4]},
                      "system_cpu_usage": 104_000_000_000, "online_cpus": 4},
        "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000},
                         "system_cpu_usage": 100_000_000_000},
        "memory_stats": {"usage": 100 * MIB, "limit": 512 * MIB,
                         "stats": {"total_inactive_file": 10 * MIB}},
        "blkio_stats": {"io_service_bytes_recursive": [
            {"major": 8, "minor": 0, "op": "Read", "value": 4096},
            {"major": 8, "minor": 0, "op": "Write", "value": 1024},
            {"major": 8, "minor": 0, "op": "Total", "value": 5120},
            {"major": 8, "minor": 16, "op": "read", "value": 100},
        ]},
        "networks": {"eth0": {"rx_bytes": 1000, "tx_bytes": 10},
                     "eth1": {"rx_bytes": 5, "tx_bytes": 5}},
        "pids_stats": {"current": 3, "limit": 64},
    }  # fmt: skip
    base.update(overrides)
    return base


def test_cpu_percent_is_the_share_of_host_time_times_cpus() -> None:
    # 0.5 s of 4 s of host CPU time, times 4 CPUs: 50 %
    assert cpu_percent(document()) == pytest.approx(50.0)


def test_cpu_percent_falls_back_to_the_percpu_count_and_is_zero_without_change() -> None:
    doc = document()
    del doc["cpu_stats"]["online_cpus"]
    assert cpu_percent(doc) == pytest.approx(50.0)
    doc["precpu_stats"] = doc["cpu_stats"]
    assert cpu_percent(doc) == 0.0
    assert cpu_percent({}) == 0.0


def test_memory_leaves_out_inactive_file_on_v1_and_v2() -> None:
    assert memory_used(document()) == 90 * MIB
    v2 = document(memory_stats={"usage": 100 * MIB, "stats": {"inactive_file": 30 * MIB}})
    assert memory_used(v2) == 70 * MIB
    larger = document(memory_stats={"usage": 5, "stats": {"inactive_file": 10}})
    assert memory_used(larger) == 5
    assert memory_used(document(memory_stats={"usage": 7})) == 7


def test_block_and_network_bytes_are_summed_as_the_cli_sums_them() -> None:
    assert block_bytes(document()) == (4196, 1024)
    assert network_bytes(document()) == (1005, 15)
    assert block_bytes(document(blkio_stats={"io_service_bytes_recursive": None})) == (0, 0)


def test_a_sample_from_a_docker_document() -> None:
    sample = sample_from_docker(document())
    assert sample.time == pytest.approx(1796119201.0)
    assert sample.cpu_percent == pytest.approx(50.0)
    assert (sample.memory_used, sample.memory_limit) == (90 * MIB, 512 * MIB)
    assert (sample.net_rx, sample.blk_read, sample.pids, sample.pids_limit) == (1005, 4196, 3, 64)
    assert sample.memory_percent == pytest.approx(90 / 512 * 100)


def test_batched_messages_and_history_columns_parse() -> None:
    batch = StatsBatch.from_json({
        "time": 10.0,
        "host": {"cpu_percent": 12.5, "cpus": 2, "memory_used": 1, "memory_total": 4,
                 "load": [0.1, 0.2, 0.3], "containers_running": 1, "containers": 2},
        "containers": {"abc": {"cpu_percent": 50.0, "memory_used": 9, "pids": 3}},
    })  # fmt: skip
    assert batch.host.load == (0.1, 0.2, 0.3) and batch.host.containers == 2
    assert batch.containers["abc"].cpu_percent == 50.0 and batch.containers["abc"].time == 10.0
    history = StatsHistory.from_json({
        "interval": 1.0,
        "containers": {"abc": {"time": [1.0, 2.0], "cpu_percent": [5.0, 6.0], "pids": [1, 2]}},
        "host": {"time": [1.0], "cpu_percent": [3.0]},
    })  # fmt: skip
    assert [(s.time, s.cpu_percent, s.pids) for s in history.containers["abc"]] == [
        (1.0, 5.0, 1), (2.0, 6.0, 2)]  # fmt: skip
    assert history.host[0].cpu_percent == 3.0
    assert StatsHistory.from_json({"containers": "nonsense"}).containers == {}
