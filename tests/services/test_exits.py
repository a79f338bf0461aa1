"""How the end of a run is recorded: exit code, FinishedAt, the die event, the release."""

from __future__ import annotations

import pytest

from tests.services.conftest import Engine
from tuibox import timestamps
from tuibox.engine.domain.container import Status
from tuibox.engine.services.containers.streams import LogQuery


@pytest.mark.parametrize(
    ("cmd", "code"),
    [(("true",), 0), (("false",), 1), (("sh", "-c", "exit 3"), 3), (("sh", "-c", "exit 255"), 255)],
)
async def test_the_exit_code_is_recorded_with_finished_at(
    engine: Engine, cmd: tuple[str, ...], code: int
) -> None:
    container_id = await engine.run(*cmd)
    state = engine.record(container_id).state
    assert (state.status, state.exit_code, state.pid) == (Status.EXITED, code, 0)
    started = timestamps.parse_ns(state.started_at)
    finished = timestamps.parse_ns(state.finished_at)
    assert started is not None and finished is not None
    assert finished >= started
    inspected = engine.services.containers.queries.inspect(container_id)["State"]
    assert (inspected["ExitCode"], inspected["FinishedAt"]) == (code, state.finished_at)


async def test_the_die_event_carries_the_exit_code(engine: Engine) -> None:
    container_id = await engine.run("sh", "-c", "exit 7", name="seven")
    dies = engine.events_of(container_id, "die")
    assert len(dies) == 1
    assert dies[0].exit_code == 7
    assert dies[0].attributes["exitCode"] == "7"
    assert dies[0].attributes["name"] == "seven"
    assert dies[0].attributes["image"] == "busybox"


async def test_the_exit_is_saved_to_the_store(engine: Engine) -> None:
    container_id = await engine.run("sh", "-c", "exit 9")
    saved = engine.store.load_all()
    assert [(r.id, r.state.status, r.state.exit_code) for r in saved] == [
        (container_id, Status.EXITED, 9)
    ]


async def test_a_run_ending_later_is_recorded_when_it_ends(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    assert engine.record(container_id).state.status is Status.RUNNING
    engine.runtime.end(container_id, 12)
    await engine.settle()
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 12)
    assert engine.actions(container_id) == ["create", "start", "die"]


async def test_a_monitor_that_vanishes_without_an_exit_code_records_255(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    engine.runtime.lose_monitor(container_id)
    await engine.settle()
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 255)
    assert state.finished_at != timestamps.ZERO_TIME
    assert engine.events_of(container_id, "die")[0].attributes["exitCode"] == "255"


async def test_an_ended_run_is_released(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    rootfs = engine.context.paths(container_id).rootfs
    assert engine.mounter.is_mounted(rootfs)
    assert engine.runtime.has_state(container_id)
    engine.runtime.end(container_id, 0)
    await engine.settle()
    assert not engine.mounter.is_mounted(rootfs)
    assert list(rootfs.iterdir()) == []
    assert ("delete", container_id, True) in engine.runtime.calls
    assert ("cleanup", container_id, None) in engine.runtime.calls
    assert container_id not in engine.runtime.runs
    assert container_id not in engine.context.watchers
    assert engine.context.paths(container_id).base.is_dir()  # the container itself stays


async def test_an_exited_container_starts_again_with_a_new_run(engine: Engine) -> None:
    container_id = await engine.run("sh", "-c", "exit 2")
    await engine.services.containers.lifecycle.start(container_id)
    await engine.settle()
    assert engine.record(container_id).state.exit_code == 2
    assert [c for c in engine.runtime.calls if c[0] == "create"] == [
        ("create", container_id, None)
    ] * 2
    assert engine.actions(container_id) == ["create", "start", "die", "start", "die"]
    assert engine.mounter.mounts == 2


async def test_echo_output_is_in_the_logs(engine: Engine) -> None:
    container_id = await engine.run("echo", "hello", "world")
    query = LogQuery(True, True, follow=False, tail=None, since_ns=0, until_ns=None)
    records = [r async for r in engine.services.containers.streams.logs(container_id, query)]
    assert [(r.stream, r.data) for r in records] == [("stdout", b"hello world\n")]
