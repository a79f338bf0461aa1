"""`docker update` and the limits' life on the fakes: record, runtime, events, OOMKilled."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tests.services.test_api_errors import assert_error
from tuibox.engine.domain.errors import Conflict, InvalidArgument

MIB = 1024**2
Client = TestClient[Any, Any]


async def test_create_records_the_limits_and_the_bundle_carries_them(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={
        "Memory": 64 * MIB, "NanoCpus": 500_000_000, "PidsLimit": 40})  # fmt: skip
    host_config = engine.services.containers.queries.inspect(container_id)["HostConfig"]
    assert (host_config["Memory"], host_config["MemorySwap"]) == (64 * MIB, 128 * MIB)
    assert (host_config["NanoCpus"], host_config["PidsLimit"]) == (500_000_000, 40)
    resources = engine.runtime.bundle_config(container_id)["linux"]["resources"]
    assert resources["memory"] == {"limit": 64 * MIB, "swap": 128 * MIB}
    assert resources["cpu"] == {"period": 100000, "quota": 50000}
    assert resources["pids"] == {"limit": 40}
    assert resources["devices"][0] == {"allow": False, "access": "rwm"}  # still deny-all first


async def test_create_refuses_a_limit_out_of_range_and_creates_nothing(engine: Engine) -> None:
    with pytest.raises(InvalidArgument, match="Minimum memory limit allowed is 6MB"):
        await engine.create("true", HostConfig={"Memory": MIB})
    assert engine.context.records == {}


async def test_updating_a_running_container_reaches_the_runtime(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Memory": 64 * MIB})
    updates = engine.services.containers.updates
    assert await updates.update(container_id, {"CpuShares": 512, "PidsLimit": 0}) == {
        "Warnings": []}  # fmt: skip
    applied = engine.runtime.runs[container_id].resources
    assert applied is not None
    assert applied["cpu"] == {"shares": 512}
    assert applied["memory"]["limit"] == 64 * MIB  # what was not given stays as it was
    assert applied["pids"] == {"limit": 0}  # lifted: the runtime writes "max"
    record = engine.record(container_id)
    assert (record.host_config["CpuShares"], record.host_config["PidsLimit"]) == (512, -1)
    assert engine.actions(container_id)[-1] == "update"
    assert engine.store.load_all()[0].host_config["CpuShares"] == 512


async def test_updating_a_stopped_container_changes_its_next_run(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    await engine.services.containers.updates.update(container_id, {"Memory": 32 * MIB})
    assert not any(call[0] == "update" for call in engine.runtime.calls)
    await engine.services.containers.lifecycle.start(container_id)
    resources = engine.runtime.bundle_config(container_id)["linux"]["resources"]
    assert resources["memory"] == {"limit": 32 * MIB}


async def test_an_update_the_kernel_refuses_changes_nothing(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Memory": 64 * MIB})
    engine.runtime.fail_update = "writing file `memory.limit_in_bytes`: Device or resource busy"
    with pytest.raises(Conflict, match="Device or resource busy"):
        await engine.services.containers.updates.update(container_id, {"Memory": 8 * MIB})
    assert engine.record(container_id).host_config["Memory"] == 64 * MIB
    assert "update" not in engine.actions(container_id)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"KernelMemory": 64 * MIB}, "--kernel-memory cannot be updated"),
        ({"RestartPolicy": {"Name": "sometimes"}}, "invalid restart policy 'sometimes'"),
        ({"Devices": [{"PathOnHost": "/dev/null"}]}, "--device cannot be updated"),
        ({"Bogus": 1}, "the update field Bogus is not supported"),
        ({"CpuShares": 1}, "out of the kernel's range"),
        ({"Memory": 256 * MIB}, "update the memoryswap at the same time"),
    ],
)
async def test_an_update_refuses_what_it_cannot_do_by_name(
    engine: Engine, body: dict[str, Any], words: str
) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Memory": 64 * MIB})
    with pytest.raises(InvalidArgument, match=words):
        await engine.services.containers.updates.update(container_id, body)
    assert engine.record(container_id).host_config["Memory"] == 64 * MIB


async def test_an_update_with_what_the_cli_sends_unset_is_accepted(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    body = {"BlkioWeight": 0, "CpuShares": 0, "CpuPeriod": 0, "CpuQuota": 0,
            "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
            "Memory": 0, "MemoryReservation": 0, "MemorySwap": 0, "KernelMemory": 0,
            "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}, "NanoCpus": 10**9}  # fmt: skip
    await engine.services.containers.updates.update(container_id, body)
    assert engine.record(container_id).host_config["NanoCpus"] == 10**9


async def test_the_update_route(api: Client, engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    response = await api.post(f"/containers/{container_id}/update", json={"CpuShares": 300})
    assert response.status == 200
    assert await response.json() == {"Warnings": []}
    await assert_error(await api.post("/containers/nope/update", json={}), 404, "No such container")
    await assert_error(
        await api.post(f"/containers/{container_id}/update", json={"Memory": MIB}), 400,
        "Minimum memory limit allowed is 6MB")  # fmt: skip
    await assert_error(
        await api.post(f"/containers/{container_id}/update", json=[1]), 400, "expected an object")


async def test_an_oom_kill_is_reported_and_cleared_by_the_next_start(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Memory": 16 * MIB})
    engine.figures(container_id, oom_kills=1)
    engine.runtime.end(container_id, 137)
    await engine.wait_for(container_id, "die")
    state = engine.services.containers.queries.inspect(container_id)["State"]
    assert (state["OOMKilled"], state["ExitCode"]) == (True, 137)
    engine.figures(container_id, oom_kills=0)
    await engine.services.containers.lifecycle.start(container_id)
    assert engine.record(container_id).state.oom_killed is False


async def test_an_exit_without_an_oom_kill_is_not_reported_as_one(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.runtime.end(container_id, 137)
    await engine.wait_for(container_id, "die")
    assert engine.record(container_id).state.oom_killed is False


@pytest.mark.parametrize("body", [{"PidsLimit": "7"}, {"Memory": 1.5}, {"CpusetCpus": 0},
                                  {"MemorySwap": True}])  # fmt: skip
async def test_an_update_of_the_wrong_type_is_refused(engine: Engine, body: dict[str, Any]) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Memory": 64 * MIB})
    with pytest.raises(InvalidArgument, match="must be"):
        await engine.services.containers.updates.update(container_id, body)
