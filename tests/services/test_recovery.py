"""Recovery after an engine crash: each record is settled with what happened to its run."""

from __future__ import annotations

import signal
import time
from typing import Any

from tests.services.conftest import Engine
from tuibox import timestamps
from tuibox.engine.domain.container import Status

RM: dict[str, Any] = {"HostConfig": {"AutoRemove": True}}
EXIT_TIME = 1_700_000_000.0
"""When a run "ended" while no engine ran (2023-11-14T22:13:20Z)."""


async def run_behind_the_engine(engine: Engine, container_id: str, *, start: bool) -> None:
    """Do what a start does up to the runtime's create (and start), without saving the record,
    as an engine that dies in the middle of a start leaves it."""
    record = engine.record(container_id)
    paths = engine.context.paths(container_id)
    engine.services.containers.lifecycle.bundles.prepare(record, paths)
    await engine.runtime.create(container_id, paths.bundle, paths.log)
    if start:
        await engine.runtime.start(container_id)


def save_as_exited(engine: Engine, container_id: str, exit_code: int) -> None:
    """Save the record as an engine does when it records an exit, before it frees the run."""
    record = engine.record(container_id)
    record.state.status, record.state.pid, record.state.exit_code = Status.EXITED, 0, exit_code
    record.state.finished_at = timestamps.now()
    engine.store.save(record)


def released(engine: Engine, container_id: str) -> bool:
    """Whether the runtime keeps nothing of the container and its rootfs is not mounted."""
    rootfs = engine.context.paths(container_id).rootfs
    return not engine.runtime.has_state(container_id) and not engine.mounter.is_mounted(rootfs)


async def test_a_running_container_whose_monitor_lives_is_watched_again(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    pid = engine.record(container_id).state.pid
    restarted = await engine.restart()
    state = restarted.record(container_id).state
    assert (state.status, state.pid) == (Status.RUNNING, pid)
    assert container_id in restarted.context.watchers
    restarted.runtime.end(container_id, 7)
    await restarted.settle()
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 7)
    assert restarted.actions(container_id) == ["die"]
    assert released(restarted, container_id)


async def test_a_recovered_running_container_can_be_stopped(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", name="survivor")
    restarted = await engine.restart()
    await restarted.services.containers.lifecycle.stop("survivor", 0, None)
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 137)
    assert restarted.actions(container_id) == ["kill", "kill", "die", "stop"]


async def test_a_run_that_ended_while_the_engine_was_down_gets_its_code_and_exit_time(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.crash()
    engine.runtime.end(container_id, 5)
    engine.runtime.runs[container_id].exit_time = EXIT_TIME
    restarted = await engine.restart()
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code, state.pid) == (Status.EXITED, 5, 0)
    assert state.finished_at == "2023-11-14T22:13:20.000000000Z"
    assert state.finished_at == timestamps.format_unix(EXIT_TIME)
    assert restarted.events_of(container_id, "die")[0].attributes["exitCode"] == "5"
    assert released(restarted, container_id)
    assert restarted.store.load_all()[0].state.exit_code == 5


async def test_a_run_whose_monitor_vanished_while_the_engine_was_down_gets_255(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.crash()
    engine.runtime.lose_monitor(container_id)
    before = time.time_ns()
    restarted = await engine.restart()
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 255)
    finished = timestamps.parse_ns(state.finished_at)
    assert finished is not None and finished >= before
    assert released(restarted, container_id)


async def test_a_running_record_whose_run_the_runtime_no_longer_knows_gets_255(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.crash()
    del engine.runtime.runs[container_id]  # a reboot: no monitor, no exit file, no crun state
    restarted = await engine.restart()
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code, state.pid) == (Status.EXITED, 255, 0)
    assert restarted.actions(container_id) == ["die"]


async def test_a_record_left_removing_is_removed(engine: Engine) -> None:
    container_id = await engine.run("true")
    await engine.crash()
    record = engine.record(container_id)
    record.state.status = Status.REMOVING
    engine.store.save(record)
    restarted = await engine.restart()
    assert container_id not in restarted.context.records
    assert container_id not in restarted.store.saved
    assert not restarted.context.paths(container_id).base.exists()
    assert restarted.actions(container_id) == ["destroy"]


async def test_an_interrupted_start_whose_run_is_running_is_adopted(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    await run_behind_the_engine(engine, container_id, start=True)
    restarted = await engine.restart()
    state = restarted.record(container_id).state
    assert state.status is Status.RUNNING
    assert state.pid == restarted.runtime.runs[container_id].pid != 0
    assert state.started_at != timestamps.ZERO_TIME
    assert restarted.store.load_all()[0].state.status is Status.RUNNING
    restarted.runtime.end(container_id, 0)
    await restarted.settle()
    assert restarted.record(container_id).state.status is Status.EXITED
    assert released(restarted, container_id)


async def test_an_interrupted_start_whose_run_is_only_created_is_killed_and_released(
    engine: Engine,
) -> None:
    container_id = await engine.create("sleep", "300")
    await run_behind_the_engine(engine, container_id, start=False)
    assert engine.runtime.runs[container_id].status == "created"
    restarted = await engine.restart()
    assert restarted.runtime.signals_sent(container_id) == [signal.SIGKILL]
    assert released(restarted, container_id)
    assert container_id not in restarted.runtime.runs
    assert restarted.record(container_id).state.status is Status.CREATED
    await restarted.services.containers.lifecycle.start(container_id)  # it can start anew
    assert restarted.record(container_id).state.status is Status.RUNNING


async def test_an_exited_record_whose_run_still_has_runtime_state_is_released(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.crash()
    engine.runtime.end(container_id, 3)
    save_as_exited(engine, container_id, 3)
    assert engine.runtime.has_state(container_id)
    restarted = await engine.restart()
    assert released(restarted, container_id)
    assert container_id not in restarted.runtime.runs
    state = restarted.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 3)
    assert restarted.actions(container_id) == []  # its die was told before the crash


async def test_a_created_record_left_with_a_mounted_rootfs_is_released(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    record = engine.record(container_id)
    paths = engine.context.paths(container_id)
    engine.services.containers.lifecycle.bundles.prepare(record, paths)  # mounted, then crash
    assert engine.mounter.is_mounted(paths.rootfs)
    restarted = await engine.restart()
    assert not restarted.mounter.is_mounted(paths.rootfs)
    assert restarted.record(container_id).state.status is Status.CREATED


async def test_an_exited_auto_remove_container_is_removed_at_recovery(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    await engine.crash()
    engine.runtime.end(container_id, 0)
    save_as_exited(engine, container_id, 0)
    restarted = await engine.restart()
    assert container_id not in restarted.context.records
    assert container_id not in restarted.store.saved
    assert not restarted.context.paths(container_id).base.exists()
    assert released(restarted, container_id)
    assert restarted.actions(container_id) == ["destroy"]


async def test_an_auto_remove_run_that_ended_while_the_engine_was_down_is_removed(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", **RM)
    await engine.crash()
    engine.runtime.end(container_id, 4)
    restarted = await engine.restart()
    assert restarted.actions(container_id) == ["die", "destroy"]
    assert restarted.events_of(container_id, "destroy")[0].exit_code == 4
    assert container_id not in restarted.context.records
    assert not restarted.context.paths(container_id).base.exists()
    assert released(restarted, container_id)


async def test_a_settled_exited_container_is_left_as_it_is(engine: Engine) -> None:
    container_id = await engine.run("sh", "-c", "exit 6")
    before = engine.record(container_id).state
    calls = len(engine.runtime.calls)
    restarted = await engine.restart()
    assert restarted.record(container_id).state == before
    assert restarted.actions(container_id) == []
    assert len(restarted.runtime.calls) == calls


async def test_a_created_auto_remove_container_is_removed_at_recovery(engine: Engine) -> None:
    """As moby's restore does: every --rm container that does not run is removed."""
    container_id = await engine.create("sleep", "300", **RM)
    restarted = await engine.restart()
    assert container_id not in restarted.context.records
    assert not restarted.context.paths(container_id).base.exists()
    assert restarted.actions(container_id) == ["destroy"]
