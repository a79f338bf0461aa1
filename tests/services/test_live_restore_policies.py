"""Policies for runs that ended while no engine ran: applied once, at start-up, as dockerd does."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.container import Status
from tuibox.engine.services.containers import restarts

POLICIES = ("no", "always", "on-failure", "unless-stopped")


def policy(name: str) -> dict[str, Any]:
    return {"RestartPolicy": {"Name": name, "MaximumRetryCount": 0}}


@pytest.fixture(autouse=True)
def backoff_due_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first delay of 0: a restart the backoff scheduled would run on the next loop turn,
    before the start-up's own pass, if recovery scheduled one."""
    monkeypatch.setattr(restarts, "FIRST_DELAY", 0.0)


async def test_an_exit_while_down_is_started_once_and_not_counted_as_a_restart(
    engine: Engine,
) -> None:
    ids = {name: await engine.run("sleep", "300", HostConfig=policy(name)) for name in POLICIES}
    await engine.crash()
    for container_id in ids.values():
        engine.runtime.end(container_id, 3)
    restarted = await engine.restart()
    await asyncio.sleep(0.05)  # a stray backoff timer would have fired by now
    await restarted.settle()
    for name, container_id in ids.items():
        record = restarted.record(container_id)
        started = name != "no"
        assert record.state.status is (Status.RUNNING if started else Status.EXITED), name
        assert record.restart_count == 0, name
        assert restarted.actions(container_id) == (["die", "start"] if started else ["die"]), name
        assert restarted.events_of(container_id, "die")[0].attributes["exitCode"] == "3"


async def test_a_clean_exit_while_down_is_left_alone_by_on_failure(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", HostConfig=policy("on-failure"))
    await engine.crash()
    engine.runtime.end(container_id, 0)
    restarted = await engine.restart()
    await asyncio.sleep(0.05)
    await restarted.settle()
    record = restarted.record(container_id)
    assert (record.state.status, record.state.exit_code) == (Status.EXITED, 0)
    assert restarted.actions(container_id) == ["die"]


async def test_an_exit_just_after_start_up_goes_through_the_backoff_and_counts(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", HostConfig=policy("always"))
    restarted = await engine.restart()  # adopted while it runs
    restarted.runtime.end(container_id, 3)
    async with asyncio.timeout(5):
        while restarted.actions(container_id).count("start") < 1:
            await asyncio.sleep(0.005)
    await restarted.settle()
    assert restarted.record(container_id).restart_count == 1
