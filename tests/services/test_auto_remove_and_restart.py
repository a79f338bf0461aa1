"""Auto-remove (`--rm`, HostConfig.AutoRemove) and restart of running and stopped containers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.services.conftest import Engine, assert_gone
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import EngineError
from tuibox.engine.runtime.logs import LogRecord

RM: dict[str, Any] = {"HostConfig": {"AutoRemove": True}}


async def test_an_auto_remove_container_is_removed_after_it_exits(engine: Engine) -> None:
    container_id = await engine.run("sh", "-c", "exit 3", **RM)
    assert engine.actions(container_id) == ["create", "start", "die", "destroy"]
    assert engine.events_of(container_id, "destroy")[0].exit_code == 3
    assert_gone(engine, container_id)


async def test_an_auto_remove_container_is_removed_when_its_start_fails(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300", **RM)
    engine.runtime.fail_create[container_id] = "cannot set up cgroup: Read-only file system"
    with pytest.raises(EngineError, match="Read-only file system"):
        await engine.services.containers.lifecycle.start(container_id)
    await engine.settle()
    assert engine.actions(container_id) == ["create", "destroy"]
    assert_gone(engine, container_id)


async def test_a_failed_start_keeps_a_container_without_auto_remove_and_frees_the_run(
    engine: Engine,
) -> None:
    container_id = await engine.create("sleep", "300")
    engine.runtime.fail_create[container_id] = "cannot set up cgroup: Read-only file system"
    with pytest.raises(EngineError, match="Read-only file system"):
        await engine.services.containers.lifecycle.start(container_id)
    await engine.settle()
    state = engine.record(container_id).state
    assert state.status is Status.CREATED
    assert "Read-only file system" in state.error
    assert engine.actions(container_id) == ["create"]
    assert not engine.mounter.is_mounted(engine.context.paths(container_id).rootfs)
    assert not engine.runtime.has_state(container_id)


async def test_stopping_an_auto_remove_container_removes_it(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    await engine.services.containers.lifecycle.stop(container_id, 0, None)
    await engine.settle()
    actions = engine.actions(container_id)
    assert actions[:5] == ["create", "start", "kill", "kill", "die"]
    assert sorted(actions[5:]) == ["destroy", "stop"]  # stop is told as the wait ends
    assert_gone(engine, container_id)


async def test_force_removing_a_running_auto_remove_container_destroys_it_once(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    await engine.services.containers.removal.remove(container_id, force=True)
    await engine.settle()
    assert engine.actions(container_id) == ["create", "start", "kill", "die", "destroy"]
    assert_gone(engine, container_id)


async def test_restart_of_an_auto_remove_container_does_not_remove_it(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    first_pid = engine.record(container_id).state.pid
    await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await engine.settle()
    state = engine.record(container_id).state
    assert state.status is Status.RUNNING
    assert state.pid not in (0, first_pid)
    assert "destroy" not in engine.actions(container_id)
    assert container_id in engine.store.saved
    assert engine.runtime.runs[container_id].status == "running"
    assert container_id not in engine.context.restarting


async def test_auto_remove_waits_for_an_attached_reader_to_finish(engine: Engine) -> None:
    container_id = await engine.create("echo", "last words", **RM)
    reader = engine.services.containers.streams.attach(container_id)

    async def next_entry(records: AsyncIterator[LogRecord]) -> LogRecord:
        return await anext(records)

    first = asyncio.create_task(next_entry(reader))
    await engine.settle()  # attached before the start, as `docker run` does
    await engine.services.containers.lifecycle.start(container_id)
    entry = await asyncio.wait_for(first, 5)
    assert (entry.stream, entry.data) == ("stdout", b"last words\n")
    await engine.settle()
    assert engine.actions(container_id) == ["create", "start", "die"]
    assert container_id in engine.context.records  # the reader has not finished yet
    with pytest.raises(StopAsyncIteration):
        await next_entry(reader)
    await engine.settle()
    assert engine.actions(container_id) == ["create", "start", "die", "destroy"]
    assert_gone(engine, container_id)


async def test_restart_of_a_running_container_starts_a_new_run(engine: Engine) -> None:
    engine.runtime.handles_term = True
    container_id = await engine.run("sleep", "300")
    before = engine.record(container_id).state
    first_pid, first_start = before.pid, before.started_at
    await engine.services.containers.lifecycle.restart(container_id, 1, None)
    await engine.settle()
    state = engine.record(container_id).state
    assert state.status is Status.RUNNING
    assert state.pid not in (0, first_pid)
    assert state.started_at != first_start
    assert engine.actions(container_id) == [
        "create", "start", "kill", "die", "stop", "start", "restart",
    ]  # fmt: skip
    assert engine.runtime.runs[container_id].pid == state.pid


async def test_restart_escalates_to_sigkill_when_sigterm_is_ignored(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await engine.settle()
    assert engine.record(container_id).state.status is Status.RUNNING
    assert engine.actions(container_id) == [
        "create", "start", "kill", "kill", "die", "stop", "start", "restart",
    ]  # fmt: skip
    assert [e.exit_code for e in engine.events_of(container_id, "die")] == [137]


async def test_restart_of_a_stopped_container_starts_it(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.stop(container_id, 0, None)
    await engine.settle()
    stopped_at = engine.record(container_id).state.finished_at
    kills = len(engine.runtime.signals_sent(container_id))
    await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await engine.settle()
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.RUNNING, 0)
    assert state.finished_at == stopped_at != "0001-01-01T00:00:00Z", "dockerd keeps it"
    assert engine.actions(container_id)[-2:] == ["start", "restart"]
    assert len(engine.runtime.signals_sent(container_id)) == kills  # nothing to stop


async def test_restart_of_a_created_container_starts_it(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await engine.settle()
    assert engine.record(container_id).state.status is Status.RUNNING
    assert engine.actions(container_id) == ["create", "start", "restart"]


async def test_a_failed_start_in_a_restart_removes_an_auto_remove_container(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    engine.runtime.fail_create[container_id] = "cannot set up cgroup: Read-only file system"
    with pytest.raises(EngineError, match="Read-only file system"):
        await engine.services.containers.lifecycle.restart(container_id, 0, None)
    await engine.settle()
    assert engine.actions(container_id)[-1] == "destroy"
    assert_gone(engine, container_id)
