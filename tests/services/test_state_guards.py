"""State guards of the container verbs, and how a container is looked up by what was given."""

from __future__ import annotations

import signal
from types import SimpleNamespace

import pytest

from tests.services.conftest import Engine, assert_gone
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, NotModified
from tuibox.engine.services.containers import creation


async def test_start_of_a_running_container_is_not_modified(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300")
    with pytest.raises(NotModified):
        await engine.services.containers.lifecycle.start(container_id)
    assert [c for c in engine.runtime.calls if c[0] == "create"] == [("create", container_id, None)]
    assert engine.record(container_id).state.status is Status.RUNNING


async def test_stop_of_an_exited_container_is_not_modified(engine: Engine) -> None:
    container_id = await engine.run("true")
    assert engine.record(container_id).state.status is Status.EXITED
    with pytest.raises(NotModified):
        await engine.services.containers.lifecycle.stop(container_id, 0, None)
    assert engine.runtime.signals_sent(container_id) == []
    assert "stop" not in engine.actions(container_id)


async def test_stop_of_a_created_container_is_not_modified(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    with pytest.raises(NotModified):
        await engine.services.containers.lifecycle.stop(container_id, 0, None)
    assert engine.runtime.signals_sent(container_id) == []
    assert engine.record(container_id).state.status is Status.CREATED


async def test_kill_of_an_exited_container_is_a_conflict_in_dockers_words(
    engine: Engine,
) -> None:
    container_id = await engine.run("true", name="done")
    with pytest.raises(Conflict) as caught:
        await engine.services.containers.lifecycle.kill("done", None)
    assert str(caught.value) == (
        f"cannot kill container: done: container {container_id} is not running"
    )
    assert engine.runtime.signals_sent(container_id) == []


async def test_kill_of_a_created_container_is_a_conflict(engine: Engine) -> None:
    container_id = await engine.create("sleep", "300")
    with pytest.raises(Conflict) as caught:
        await engine.services.containers.lifecycle.kill(container_id[:12], "TERM")
    assert str(caught.value) == (
        f"cannot kill container: {container_id[:12]}: container {container_id} is not running"
    )
    assert engine.runtime.signals_sent(container_id) == []


async def test_remove_of_a_running_container_without_force_is_a_conflict_and_it_keeps_running(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", name="busy")
    with pytest.raises(Conflict) as caught:
        await engine.services.containers.removal.remove("busy", force=False)
    assert str(caught.value) == (
        'cannot remove container "busy": container is running: '
        "stop the container before removing or force remove"
    )
    await engine.settle()
    assert engine.record(container_id).state.status is Status.RUNNING
    assert engine.runtime.runs[container_id].status == "running"
    assert engine.runtime.signals_sent(container_id) == []
    assert engine.context.paths(container_id).base.is_dir()
    assert engine.actions(container_id) == ["create", "start"]


async def test_forced_remove_of_a_running_container_kills_it_and_frees_everything(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    paths = engine.context.paths(container_id)
    assert engine.mounter.is_mounted(paths.rootfs)
    await engine.services.containers.removal.remove(container_id, force=True)
    await engine.settle()
    assert engine.runtime.signals_sent(container_id) == [signal.SIGKILL]
    assert engine.actions(container_id) == ["create", "start", "kill", "die", "destroy"]
    assert engine.events_of(container_id, "die")[0].attributes["exitCode"] == "137"
    assert_gone(engine, container_id)


async def test_remove_of_an_exited_container_drops_its_record_and_directory(
    engine: Engine,
) -> None:
    container_id = await engine.run("false")
    await engine.services.containers.removal.remove(container_id, force=False)
    await engine.settle()
    assert engine.actions(container_id) == ["create", "start", "die", "destroy"]
    assert container_id not in engine.context.records
    assert container_id not in engine.store.saved
    assert not engine.context.paths(container_id).base.exists()


async def test_remove_of_an_unknown_container_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        await engine.services.containers.removal.remove("ghost", force=True)
    assert str(caught.value) == "No such container: ghost"


async def test_a_taken_name_is_a_conflict_and_creates_nothing(engine: Engine) -> None:
    first = await engine.create("true", name="web")
    with pytest.raises(Conflict) as caught:
        await engine.create("true", name="/web")
    assert str(caught.value) == (
        f'Conflict. The container name "/web" is already in use by container "{first}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    )
    assert list(engine.context.records) == [first]
    assert list(engine.store.saved) == [first]
    assert sorted(p.name for p in engine.store.root.iterdir()) == [first]


@pytest.mark.parametrize("form", ["full id", "name", "/name", "unique prefix"])
async def test_a_container_is_found_by_full_id_name_slash_name_or_unique_prefix(
    engine: Engine, form: str
) -> None:
    container_id = await engine.create("true", name="finder")
    await engine.create("true", name="other")
    given = {
        "full id": container_id,
        "name": "finder",
        "/name": "/finder",
        "unique prefix": container_id[:12],
    }[form]
    assert engine.context.lookup(given).id == container_id
    inspected = engine.services.containers.queries.inspect(given)
    assert (inspected["Id"], inspected["Name"]) == (container_id, "/finder")


async def test_an_ambiguous_id_prefix_is_an_invalid_argument(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["abc1" + "0" * 60, "abc2" + "0" * 60])
    monkeypatch.setattr(creation, "secrets", SimpleNamespace(token_hex=lambda _n: next(ids)))
    first = await engine.create("true")
    second = await engine.create("true")
    with pytest.raises(InvalidArgument) as caught:
        engine.context.lookup("abc")
    assert str(caught.value) == "multiple IDs found with provided prefix: abc"
    assert engine.context.lookup("abc1").id == first
    assert engine.context.lookup("abc2").id == second


async def test_an_exact_name_wins_over_an_id_prefix(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = iter(["feed" + "0" * 60, "beef" + "0" * 60])
    monkeypatch.setattr(creation, "secrets", SimpleNamespace(token_hex=lambda _n: next(ids)))
    await engine.create("true", name="other")
    named = await engine.create("true", name="feed")
    assert engine.context.lookup("feed").id == named


async def test_an_unknown_name_is_not_found_for_every_verb(engine: Engine) -> None:
    containers = engine.services.containers
    verbs = [
        containers.lifecycle.start("ghost"),
        containers.lifecycle.stop("ghost", 0, None),
        containers.lifecycle.kill("ghost", None),
        containers.lifecycle.restart("ghost", 0, None),
        containers.removal.remove("ghost", force=False),
    ]
    for verb in verbs:
        with pytest.raises(NotFound, match=r"^No such container: ghost$"):
            await verb
    with pytest.raises(NotFound, match=r"^No such container: ghost$"):
        containers.queries.inspect("ghost")
