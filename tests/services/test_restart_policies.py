"""Restart policies on the fakes: which exits restart, the backoff, stop and engine restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.container import ContainerRecord, Status, status_text
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers import restarts
from tuibox.engine.services.containers.restarts import should_restart


def policy(name: str, retries: int = 0) -> dict[str, Any]:
    return {"RestartPolicy": {"Name": name, "MaximumRetryCount": retries}}


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backoff's first delay, 100 ms in the engine, at 1 ms: the same doubling."""
    monkeypatch.setattr(restarts, "FIRST_DELAY", 0.001)


async def wait_for_starts(engine: Engine, container_id: str, count: int) -> None:
    async with asyncio.timeout(5):
        while engine.actions(container_id).count("start") < count:
            await asyncio.sleep(0.005)
    await engine.settle()


async def test_on_failure_restarts_up_to_the_retry_count(engine: Engine) -> None:
    container_id = await engine.run("false", HostConfig=policy("on-failure", 3))
    await wait_for_starts(engine, container_id, 4)
    await asyncio.sleep(0.05)
    record = engine.record(container_id)
    assert engine.actions(container_id).count("start") == 4, "the run and three restarts"
    assert (record.restart_count, record.state.status) == (3, Status.EXITED)
    inspected = engine.services.containers.queries.inspect(container_id)
    assert inspected["RestartCount"] == 3


async def test_on_failure_leaves_a_clean_exit_alone(engine: Engine) -> None:
    container_id = await engine.run("true", HostConfig=policy("on-failure"))
    await asyncio.sleep(0.05)
    assert engine.actions(container_id).count("start") == 1


async def test_always_restarts_a_clean_exit_too_with_a_growing_delay(engine: Engine) -> None:
    container_id = await engine.run("true", HostConfig=policy("always"))
    await wait_for_starts(engine, container_id, 4)
    delays = engine.services.containers.restarts.delays[container_id]
    assert delays >= 0.004, "1, 2, 4 ms...: each restart doubles the wait"
    await engine.services.containers.lifecycle.stop(container_id, 1, None)
    record = engine.record(container_id)
    starts = engine.actions(container_id).count("start")
    await asyncio.sleep(0.05)
    assert engine.actions(container_id).count("start") == starts, "a stop ends the loop"
    assert record.state.status is Status.EXITED and record.manually_stopped


async def test_a_restart_waits_in_restarting_and_a_stop_cancels_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(restarts, "FIRST_DELAY", 30.0)
    container_id = await engine.run("false", HostConfig=policy("always"))
    record = engine.record(container_id)
    assert record.state.status is Status.RESTARTING
    assert engine.services.containers.queries.inspect(container_id)["State"]["Restarting"]
    assert status_text(record.state, datetime.now(UTC)).startswith("Restarting (1)")
    await engine.services.containers.lifecycle.stop(container_id, 1, None)
    assert engine.record(container_id).state.status is Status.EXITED
    assert container_id not in engine.context.pending_restarts


async def test_a_user_start_resets_the_count_and_the_manual_stop(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig=policy("unless-stopped"))
    lifecycle = engine.services.containers.lifecycle
    await lifecycle.stop(container_id, 1, None)
    record = engine.record(container_id)
    assert record.manually_stopped and engine.store.load_all()[0].manually_stopped
    await lifecycle.start(container_id)
    assert not record.manually_stopped and record.restart_count == 0


async def test_the_engine_starts_what_the_policies_want_after_a_restart(engine: Engine) -> None:
    always = await engine.run("sleep", "300", HostConfig=policy("always"))
    stopped_always = await engine.run("sleep", "300", HostConfig=policy("always"))
    unless = await engine.run("sleep", "300", HostConfig=policy("unless-stopped"))
    plain = await engine.run("sleep", "300")
    lifecycle = engine.services.containers.lifecycle
    for container_id in (stopped_always, unless):
        await lifecycle.stop(container_id, 1, None)
    await engine.crash()
    for container_id in (always, plain):
        engine.runtime.end(container_id, 137)  # died while no engine ran
    restarted = await engine.restart()
    running = {cid for cid, r in restarted.context.records.items() if r.state.running}
    # always: back up, even the one stopped by hand; unless-stopped and no policy stay down
    assert running == {always, stopped_always}


def test_the_rule_for_each_policy() -> None:
    def record(name: str, count: int = 0, stopped: bool = False) -> ContainerRecord:
        return ContainerRecord("x", "x", "", "", "", "true", [], {}, policy(name, 2),
                               restart_count=count, manually_stopped=stopped)  # fmt: skip

    assert should_restart(record("always"), 0, at_engine_start=False)
    assert not should_restart(record("always", stopped=True), 0, at_engine_start=False)
    assert should_restart(record("always", stopped=True), 0, at_engine_start=True)
    assert not should_restart(record("unless-stopped", stopped=True), 0, at_engine_start=True)
    assert should_restart(record("on-failure", count=1), 1, at_engine_start=False)
    assert not should_restart(record("on-failure", count=2), 1, at_engine_start=False)
    assert not should_restart(record("on-failure"), 0, at_engine_start=False)
    assert not should_restart(record("no"), 1, at_engine_start=True)


@pytest.mark.parametrize(
    ("fields", "words"),
    [({"RestartPolicy": {"Name": "sometimes"}}, "invalid restart policy 'sometimes'"),
     ({"RestartPolicy": {"Name": "always"}, "AutoRemove": True},
      "Conflicting options: --restart and --rm"),
     ({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}}, "cannot be negative"),
     ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}},
      "can only be used with 'on-failure'")],
)  # fmt: skip
async def test_bad_policies_are_refused(
    engine: Engine, fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidArgument, match=words):
        await engine.create("true", HostConfig=fields)


async def test_docker_update_sets_the_policy(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.updates.update(
        container_id, {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}})
    assert engine.record(container_id).host_config["RestartPolicy"] == {
        "Name": "on-failure", "MaximumRetryCount": 2}  # fmt: skip
    engine.runtime.end(container_id, 3)
    await wait_for_starts(engine, container_id, 2)
