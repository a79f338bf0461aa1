"""pause and unpause, rename, container prune: state guards, events and records on the fakes."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tests.services.test_api_errors import assert_error
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.domain.time_filter import parse_time_filter

Client = TestClient[Any, Any]


async def test_pause_and_unpause(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", name="frozen")
    lifecycle = engine.services.containers.lifecycle
    await lifecycle.pause("frozen")
    record = engine.record(container_id)
    assert record.state.status is Status.PAUSED and record.state.running
    assert engine.runtime.runs[container_id].status == "paused"
    inspected = engine.services.containers.queries.inspect(container_id)["State"]
    assert (inspected["Status"], inspected["Running"], inspected["Paused"]) == (
        "paused", True, True)  # fmt: skip
    assert engine.store.load_all()[0].state.status is Status.PAUSED
    with pytest.raises(Conflict, match="Container frozen is already paused"):
        await lifecycle.pause("frozen")
    with pytest.raises(Conflict, match="cannot start a paused container"):
        await lifecycle.start("frozen")
    await lifecycle.unpause("frozen")
    assert engine.record(container_id).state.status is Status.RUNNING
    with pytest.raises(Conflict, match="Container frozen is not paused"):
        await lifecycle.unpause("frozen")
    assert engine.actions(container_id)[-2:] == ["pause", "unpause"]


async def test_a_stopped_container_cannot_be_paused(engine: Engine) -> None:
    container_id = await engine.run("true")
    with pytest.raises(Conflict, match="is not running"):
        await engine.services.containers.lifecycle.pause(container_id)


async def test_ps_lists_a_paused_container_as_up_and_paused(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.pause(container_id)
    queries = engine.services.containers.queries
    listed = queries.select(all_containers=False, limit=None, filters={}, since=None, before=None)
    assert [r.id for r in listed] == [container_id]


async def test_a_paused_container_is_thawed_to_take_a_kill(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    lifecycle = engine.services.containers.lifecycle
    await lifecycle.pause(container_id)
    await lifecycle.kill(container_id, "KILL")
    await engine.wait_for(container_id, "die")
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 128 + signal.SIGKILL)
    assert engine.actions(container_id)[-3:] == ["kill", "unpause", "die"]


async def test_a_paused_container_stops(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    lifecycle = engine.services.containers.lifecycle
    await lifecycle.pause(container_id)
    engine.runtime.handles_term = True
    await lifecycle.stop(container_id, 5, None)
    assert engine.record(container_id).state.exit_code == 128 + signal.SIGTERM


async def test_removing_a_paused_container_needs_force(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.pause(container_id)
    removal = engine.services.containers.removal
    with pytest.raises(Conflict, match="cannot remove a paused container"):
        await removal.remove(container_id, force=False)
    await removal.remove(container_id, force=True)
    assert container_id not in engine.context.records


async def test_a_paused_container_found_again_after_an_engine_restart(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.pause(container_id)
    restarted = await engine.restart()
    assert restarted.record(container_id).state.status is Status.PAUSED
    await restarted.services.containers.lifecycle.unpause(container_id)
    assert restarted.record(container_id).state.status is Status.RUNNING


async def test_rename(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", name="old")
    other = await engine.create("true", name="taken")
    updates = engine.services.containers.updates
    await updates.rename("old", "/new")
    assert engine.record(container_id).name == "new"
    assert engine.context.lookup("new").id == container_id
    (event,) = engine.events_of(container_id, "rename")
    assert (event.attributes["name"], event.attributes["oldName"]) == ("new", "/old")
    assert engine.store.load_all()[0].name in ("new", "taken")
    with pytest.raises(Conflict, match=f'is already in use by container "{other}"'):
        await updates.rename("new", "taken")
    with pytest.raises(InvalidArgument, match="same name as its current name"):
        await updates.rename("new", "new")
    with pytest.raises(InvalidArgument, match="Invalid container name"):
        await updates.rename("new", "bad name!")
    with pytest.raises(InvalidArgument, match="the new name is missing"):
        await updates.rename("new", "")
    assert engine.record(container_id).name == "new"


async def test_prune_removes_what_is_not_running(engine: Engine) -> None:
    running = await engine.run("sleep", "300")
    ended = await engine.run("true", Labels={"keep": "yes"})
    created = await engine.create("true")
    removal = engine.services.containers.removal
    assert (await removal.prune({"label!": ["keep"]}))["ContainersDeleted"] == [created]
    assert (await removal.prune({"until": ["1h"]}))["ContainersDeleted"] == []  # made just now
    pruned = await removal.prune({"label": ["keep=yes"]})
    assert pruned["ContainersDeleted"] == [ended]
    assert list(engine.context.records) == [running]
    with pytest.raises(InvalidArgument, match="invalid filter 'status'"):
        await removal.prune({"status": ["exited"]})
    with pytest.raises(InvalidArgument, match="invalid filter 'until=soon'"):
        await removal.prune({"until": ["soon"]})


def test_time_filters_as_docker_takes_them() -> None:
    assert parse_time_filter("until", "1700000000.5", 0) == 1700000000.5
    assert parse_time_filter("until", "1h30m", 10_000.0) == 10_000.0 - 5400
    assert parse_time_filter("until", "90s", 100.0) == 10.0
    assert parse_time_filter("until", "1970-01-01T00:01:00Z", 0) == 60.0


async def test_the_routes(api: Client, engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", name="routed")
    assert (await api.post("/containers/routed/pause")).status == 204
    await assert_error(await api.post("/containers/routed/pause"), 409, "already paused")
    assert (await api.post("/containers/routed/unpause")).status == 204
    assert (await api.post("/containers/routed/rename", params={"name": "moved"})).status == 204
    await assert_error(await api.post("/containers/moved/rename"), 400, "new name is missing")
    await assert_error(await api.post("/containers/nope/pause"), 404, "No such container")
    await engine.run("true", name="done")
    pruned = await (await api.post("/containers/prune")).json()
    assert len(pruned["ContainersDeleted"]) == 1 and container_id in engine.context.records
