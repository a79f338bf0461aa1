"""Concurrent verbs on one container: its lock orders them and no run is left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from tests.services.conftest import Engine, assert_gone
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import Conflict, NotFound, NotModified


async def gather(*verbs: Coroutine[Any, Any, None]) -> list[BaseException | None]:
    """Run the verbs concurrently; what each returned (None) or raised."""
    return list(await asyncio.gather(*verbs, return_exceptions=True))


async def test_two_starts_run_once_and_the_second_is_not_modified(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    start = engine.services.containers.lifecycle.start
    results = await gather(start(container_id), start(container_id))
    await engine.settle()
    assert results[0] is None
    assert isinstance(results[1], NotModified)
    assert [c for c in engine.runtime.calls if c[0] == "create"] == [("create", container_id, None)]
    assert engine.actions(container_id) == ["create", "start"]
    assert engine.record(container_id).state.status is Status.RUNNING


@pytest.mark.parametrize("stop_first", [True, False])
async def test_stop_racing_a_forced_remove_ends_with_the_container_removed(
    engine: Engine, stop_first: bool
) -> None:
    container_id = await engine.run("sleep", "300")
    containers = engine.services.containers
    stop = containers.lifecycle.stop(container_id, 5, None)
    remove = containers.removal.remove(container_id, force=True)
    results = await gather(stop, remove) if stop_first else (await gather(remove, stop))[::-1]
    await engine.settle()
    stopped, removed = results
    assert removed is None
    assert stopped is None or isinstance(stopped, NotModified | NotFound)
    actions = engine.actions(container_id)
    assert actions.count("die") == 1
    assert actions.count("destroy") == 1
    assert actions[-1] in ("destroy", "stop")
    assert_gone(engine, container_id)


async def test_two_removes_one_succeeds_and_the_other_is_not_found(engine: Engine) -> None:
    container_id = await engine.run("true")
    remove = engine.services.containers.removal.remove
    results = await gather(remove(container_id, False), remove(container_id, False))
    await engine.settle()
    assert results[0] is None
    assert isinstance(results[1], NotFound)
    assert str(results[1]) == f"No such container: {container_id}"
    assert engine.actions(container_id).count("destroy") == 1
    assert_gone(engine, container_id)


async def test_a_start_then_a_forced_remove_leave_no_orphan_run(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    containers = engine.services.containers
    results = await gather(
        containers.lifecycle.start(container_id),
        containers.removal.remove(container_id, force=True),
    )
    await engine.settle()
    assert results == [None, None]
    assert engine.actions(container_id) == ["create", "start", "kill", "die", "destroy"]
    assert_gone(engine, container_id)


@pytest.mark.parametrize("force", [True, False])
async def test_a_remove_then_a_start_leave_no_orphan_run(engine: Engine, force: bool) -> None:
    container_id = await engine.create("sleep", "300")
    containers = engine.services.containers
    results = await gather(
        containers.removal.remove(container_id, force=force),
        containers.lifecycle.start(container_id),
    )
    await engine.settle()
    assert results[0] is None
    assert isinstance(results[1], NotFound)
    assert ("create", container_id, None) not in engine.runtime.calls
    assert engine.actions(container_id) == ["create", "destroy"]
    assert_gone(engine, container_id)


async def test_a_start_then_a_plain_remove_keeps_the_running_container_whole(
    engine: Engine,
) -> None:
    container_id = await engine.create("sleep", "300")
    containers = engine.services.containers
    results = await gather(
        containers.lifecycle.start(container_id),
        containers.removal.remove(container_id, force=False),
    )
    await engine.settle()
    assert results[0] is None
    assert isinstance(results[1], Conflict)
    assert engine.record(container_id).state.status is Status.RUNNING
    assert engine.runtime.runs[container_id].status == "running"
    assert engine.context.paths(container_id).base.is_dir()


async def test_a_stop_racing_a_kill_records_one_exit(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    lifecycle = engine.services.containers.lifecycle
    results = await gather(
        lifecycle.stop(container_id, 5, None), lifecycle.kill(container_id, None)
    )
    await engine.settle()
    assert results == [None, None]
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 137)
    assert engine.actions(container_id).count("die") == 1
    assert container_id not in engine.runtime.runs


async def test_two_creates_with_one_name_make_one_container(engine: Engine) -> None:
    """Guards the name check and the record's insertion against any await between them."""
    results = await asyncio.gather(
        engine.create("true", name="twin"),
        engine.create("true", name="twin"),
        return_exceptions=True,
    )
    assert isinstance(results[0], str)
    assert isinstance(results[1], Conflict)
    assert list(engine.context.records) == [results[0]]


async def test_a_start_whose_caller_is_cancelled_still_completes(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    async with engine.context.lock(container_id):
        caller = asyncio.create_task(engine.services.containers.lifecycle.start(container_id))
        await engine.settle()  # the start waits for the lock
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        assert engine.record(container_id).state.status is Status.CREATED
    await engine.settle()
    assert engine.record(container_id).state.status is Status.RUNNING
    assert engine.runtime.runs[container_id].status == "running"
    assert engine.actions(container_id) == ["create", "start"]


async def test_a_remove_whose_caller_is_cancelled_still_completes(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    async with engine.context.lock(container_id):
        caller = asyncio.create_task(
            engine.services.containers.removal.remove(container_id, force=True)
        )
        await engine.settle()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
    await engine.settle()
    assert engine.actions(container_id)[-1] == "destroy"
    assert_gone(engine, container_id)


async def test_a_stop_whose_caller_is_cancelled_still_completes(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    async with engine.context.lock(container_id):
        caller = asyncio.create_task(
            engine.services.containers.lifecycle.stop(container_id, 0, None)
        )
        await engine.settle()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
    await engine.wait_for(container_id, "stop")
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 137)


async def test_a_second_forced_remove_while_one_is_under_way_is_a_conflict(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    remove = engine.services.containers.removal.remove
    first, second = await gather(remove(container_id, True), remove(container_id, True))
    await engine.settle()
    assert first is None
    assert isinstance(second, Conflict)
    assert "already in progress" in str(second)
    assert engine.actions(container_id).count("kill") == 1
    assert_gone(engine, container_id)
