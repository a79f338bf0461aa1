"""The stats sampler, history, Docker's stats JSON, `docker top` and the batched stream, on fakes.

FakeMetrics advances each container's counters by a set step per tick, and the host's CPU
time by 2 s per tick on 2 CPUs (one second of wall time), so every figure below is
computed by hand: 0.5 s of container CPU per tick is 0.5 / 2 x 2 x 100 = 50 %.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.metrics import GIB
from tests.services.conftest import Engine
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.services.stats.history import HISTORY_SECONDS, SeriesRing

Client = TestClient[Any, Any]
MIB = 1024**2


async def ticks(engine: Engine, count: int) -> None:
    for _ in range(count):
        await engine.services.stats.sampler.sample()


async def test_cpu_percent_follows_dockers_formula(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, cpu_step_ns=500_000_000)
    await ticks(engine, 3)
    tick = engine.services.stats.sampler.latest
    assert tick is not None
    assert tick.containers[container_id]["cpu_percent"] == pytest.approx(50.0)


async def test_the_first_tick_has_no_cpu_percent_yet(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, cpu_step_ns=500_000_000)
    tick = await engine.services.stats.sampler.sample()
    assert tick.containers[container_id]["cpu_percent"] == 0.0


async def test_memory_leaves_out_the_inactive_file_cache_and_defaults_to_host_memory(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, memory=96 * MIB, inactive_file=6 * MIB)
    tick = await engine.services.stats.sampler.sample()
    figures = tick.containers[container_id]
    assert figures["memory_used"] == 90 * MIB
    assert figures["memory_limit"] == 8 * GIB


async def test_network_block_and_pids_figures(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, rx_step=1000, tx_step=10, read_step=4096, write_step=512,
                   pids=7, pids_limit=64)  # fmt: skip
    await ticks(engine, 2)
    tick = engine.services.stats.sampler.latest
    assert tick is not None
    figures = tick.containers[container_id]
    assert (figures["net_rx"], figures["net_tx"]) == (2000, 20)
    assert (figures["blk_read"], figures["blk_write"]) == (8192, 1024)
    assert (figures["pids"], figures["pids_limit"]) == (7, 64)


async def test_a_restarted_containers_reset_counters_never_read_negative(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    fake = engine.figures(container_id, cpu_ns=10**12, cpu_step_ns=100_000_000)
    await ticks(engine, 2)
    fake.cpu_ns = 0  # a new run: new cgroup counters
    tick = await engine.services.stats.sampler.sample()
    assert tick.containers[container_id]["cpu_percent"] == 0.0


async def test_host_figures(engine: Engine) -> None:
    await engine.run("sleep", "300")
    await engine.create("true")
    await ticks(engine, 2)
    tick = engine.services.stats.sampler.latest
    assert tick is not None
    host = tick.host
    assert host["cpu_percent"] == pytest.approx(50.0)  # idle advances half as fast
    assert (host["cpus"], host["memory_used"], host["memory_total"]) == (2, 2 * GIB, 8 * GIB)
    assert (host["containers_running"], host["containers"]) == (1, 2)


async def test_one_read_of_all_containers_a_tick(engine: Engine) -> None:
    ids = [await engine.run("sleep", "300") for _ in range(5)]
    for container_id in ids:
        engine.figures(container_id, cpu_step_ns=1)
    before = engine.metrics.reads
    tick = await engine.services.stats.sampler.sample()
    assert engine.metrics.reads - before == 5
    assert set(tick.containers) == set(ids)


async def test_a_container_whose_cgroup_vanished_is_skipped(engine: Engine) -> None:
    alive = await engine.run("sleep", "300")
    vanished = await engine.run("sleep", "300")
    engine.figures(alive)
    engine.figures(vanished).gone = True
    tick = await engine.services.stats.sampler.sample()
    assert list(tick.containers) == [alive]


async def test_history_keeps_fifteen_minutes_in_arrays_under_100_kb() -> None:
    ring = SeriesRing()
    for second in range(HISTORY_SECONDS + 100):
        ring.append(float(second), {"cpu_percent": second % 7, "pids": 2})
    assert len(ring) == HISTORY_SECONDS
    columns = ring.since(0)
    assert columns["time"][0] == 100.0 and columns["time"][-1] == HISTORY_SECONDS + 99.0
    assert ring.nbytes() < 100_000
    assert ring.since(HISTORY_SECONDS + 97)["pids"] == [2, 2]


async def test_history_outlives_the_run_that_made_it(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, cpu_step_ns=500_000_000)
    await ticks(engine, 3)
    await engine.services.containers.lifecycle.kill(container_id, None)
    await engine.settle()
    await ticks(engine, 2)
    history = engine.services.stats.history([container_id], 0)
    assert len(history["containers"][container_id]["time"]) == 3


async def test_docker_stats_document_with_precpu_from_the_tick_before(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.run("sleep", "300", name="web")
    engine.figures(container_id, cpu_step_ns=500_000_000, memory=96 * MIB,
                   inactive_file=6 * MIB, pids=3)  # fmt: skip
    sampler = engine.services.stats.sampler
    await sampler.stop()  # tick by hand, not on the api fixture's clock
    await ticks(engine, 2)
    response = await api.get(f"/containers/{container_id}/stats", params={"stream": "0"})
    assert response.status == 200
    document = json.loads(await response.text())
    cpu, precpu = document["cpu_stats"], document["precpu_stats"]
    assert cpu["cpu_usage"]["total_usage"] - precpu["cpu_usage"]["total_usage"] == 500_000_000
    assert cpu["system_cpu_usage"] - precpu["system_cpu_usage"] == 2_000_000_000
    assert cpu["online_cpus"] == 2 and len(cpu["cpu_usage"]["percpu_usage"]) == 2
    memory = document["memory_stats"]
    assert memory["usage"] - memory["stats"]["total_inactive_file"] == 90 * MIB
    assert memory["limit"] == 8 * GIB
    assert document["pids_stats"] == {"current": 3}
    assert document["name"] == "/web" and document["id"] == container_id
    assert {e["op"] for e in document["blkio_stats"]["io_service_bytes_recursive"]} == {
        "Read", "Write"}  # fmt: skip
    assert document["networks"]["eth0"]["rx_bytes"] == 0
    one_shot = await api.get(f"/containers/{container_id}/stats",
                             params={"stream": "0", "one-shot": "1"})  # fmt: skip
    assert json.loads(await one_shot.text())["precpu_stats"]["cpu_usage"]["total_usage"] == 0


async def test_a_stopped_container_has_dockers_empty_stats(engine: Engine, api: Client) -> None:
    container_id = await engine.create("true", name="idle")
    response = await api.get(f"/containers/{container_id}/stats", params={"stream": "0"})
    document = json.loads(await response.text())
    assert document["read"] == "0001-01-01T00:00:00Z"
    assert document["memory_stats"] == {} and document["name"] == "/idle"


async def test_streamed_stats_come_every_tick_and_end_with_the_container(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, cpu_step_ns=1)
    response = await api.get(f"/containers/{container_id}/stats")
    first = json.loads(await response.content.readline())
    second = json.loads(await response.content.readline())
    assert second["read"] > first["read"]
    await engine.services.containers.removal.remove(container_id, force=True)
    rest = await asyncio.wait_for(response.content.read(), 10)
    assert all(json.loads(line)["id"] == container_id for line in rest.splitlines())


async def test_stats_of_an_unknown_container_is_a_404(api: Client) -> None:
    response = await api.get("/containers/ghost/stats", params={"stream": "0"})
    assert response.status == 404
    assert "No such container: ghost" in (await response.json())["message"]


async def test_the_batched_stream_sends_history_then_every_tick(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, cpu_step_ns=500_000_000)
    await ticks(engine, 3)
    response = await api.get("/tuibox/v1/stats", params={"since": "0"})
    history = json.loads(await response.content.readline())["history"]
    assert len(history["containers"][container_id]["cpu_percent"]) >= 3
    assert history["interval"] > 0 and "cpu_percent" in history["host"]
    for _ in range(2):
        message = json.loads(await response.content.readline())
        assert set(message) == {"time", "host", "containers"}
        assert message["containers"][container_id]["cpu_percent"] > 0
    response.close()


async def test_history_of_named_containers(engine: Engine, api: Client) -> None:
    first = await engine.run("sleep", "300", name="one")
    second = await engine.run("sleep", "300", name="two")
    engine.figures(first)
    engine.figures(second)
    await engine.services.stats.sampler.stop()
    await ticks(engine, 2)
    response = await api.get("/tuibox/v1/stats/history", params={"container": "one", "since": "0"})
    body = await response.json()
    assert list(body["containers"]) == [first]
    missing = await api.get("/tuibox/v1/stats/history", params={"container": "ghost"})
    assert missing.status == 404


PS_EF = """UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 09:00 ?        00:00:01 /sbin/init
root        4001    3990  0 09:01 ?        00:00:00 sleep 300
root        4002    4001  0 09:01 ?        00:00:00 sh -c echo hi there
"""


async def test_top_keeps_the_containers_processes_as_ps_prints_them(
    engine: Engine, api: Client
) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id, processes=[4001, 4002])
    engine.metrics.ps_output = PS_EF
    response = await api.get(f"/containers/{container_id}/top")
    body = await response.json()
    assert body["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert body["Processes"] == [
        ["root", "4001", "3990", "0", "09:01", "?", "00:00:00", "sleep 300"],
        ["root", "4002", "4001", "0", "09:01", "?", "00:00:00", "sh -c echo hi there"],
    ]
    assert engine.metrics.ps_calls[-1] == ["-ef"]
    await api.get(f"/containers/{container_id}/top", params={"ps_args": "aux"})
    assert engine.metrics.ps_calls[-1] == ["aux"]


async def test_top_refusals(engine: Engine) -> None:
    stats = engine.services.stats
    created = await engine.create("true")
    with pytest.raises(Conflict, match="is not running"):
        await stats.top(created, None)
    running = await engine.run("sleep", "300")
    with pytest.raises(InvalidArgument, match="can not contain -q"):
        await stats.top(running, "-q 1")
    engine.metrics.ps_output = "USER COMMAND\nroot sleep\n"
    with pytest.raises(InvalidArgument, match="Couldn't find PID field"):
        await stats.top(running, "-o user,comm")


async def test_a_container_that_stops_is_forgotten_by_the_source(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.figures(container_id)
    await ticks(engine, 1)
    await engine.services.containers.lifecycle.kill(container_id, None)
    await engine.settle()
    await ticks(engine, 1)
    assert engine.metrics.forgotten == [engine.record(container_id).cgroup_path]
