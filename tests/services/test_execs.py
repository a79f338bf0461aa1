"""Exec sessions on the fakes: Docker's rules at create and start, the process spec, events."""

from __future__ import annotations

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound


async def test_an_exec_runs_with_the_containers_profile_and_its_own_settings(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", Env=["FROM=container"], name="box")
    execs = engine.services.containers.execs
    created = execs.create("box", {"Cmd": ["echo", "hi"], "Env": ["X=1"], "Tty": True,
                                 "User": "app", "WorkingDir": "/tmp", "ConsoleSize": [30, 100],
                                 "AttachStdout": True})  # fmt: skip
    session = await execs.start(created["Id"])
    process = engine.runtime.execs[-1].process
    container = engine.runtime.bundle_config(container_id)["process"]
    assert process["args"] == ["echo", "hi"]
    assert "FROM=container" in process["env"] and "X=1" in process["env"]
    assert "TERM=xterm" in process["env"]
    assert (process["cwd"], process["user"]["uid"], process["terminal"]) == ("/tmp", 1000, True)
    assert process["consoleSize"] == {"height": 30, "width": 100}
    assert process["capabilities"] == container["capabilities"]
    assert process["rlimits"] == container["rlimits"]
    assert await execs.finish(session) == 0
    inspected = execs.inspect(created["Id"])
    assert (inspected["Running"], inspected["ExitCode"], inspected["ContainerID"]) == (
        False, 0, container_id)  # fmt: skip
    actions = engine.actions(container_id)
    assert "exec_create: echo hi" in actions and "exec_start: echo hi" in actions
    assert actions[-1] == "exec_die"


async def test_a_privileged_exec_gets_every_capability_the_engine_holds(engine: Engine) -> None:
    await engine.run("sleep", "300", name="box")
    execs = engine.services.containers.execs
    session = await execs.start(execs.create("box", {"Cmd": ["echo"], "Privileged": True})["Id"])
    caps = engine.runtime.execs[-1].process["capabilities"]["effective"]
    assert caps == list(execs.grantable) and len(caps) > 14
    await execs.finish(session)


async def test_a_command_that_cannot_run_exits_127(engine: Engine) -> None:
    await engine.run("sleep", "300", name="box")
    execs = engine.services.containers.execs
    session = await execs.start(execs.create("box", {"Cmd": ["nosuch"]})["Id"])
    assert await execs.finish(session) == 127
    assert 'exec: "nosuch": executable file not found' in session.failure


async def test_stdin_reaches_the_process_and_its_end_is_eof(engine: Engine) -> None:
    await engine.run("sleep", "300", name="box")
    execs = engine.services.containers.execs
    session = await execs.start(execs.create("box", {"Cmd": ["cat"], "AttachStdin": True})["Id"])
    assert session.process is not None
    await session.process.write(b"piped")
    session.process.close_stdin()
    chunks = [chunk async for _, chunk in session.process.output()]
    assert chunks == [b"piped"] and await execs.finish(session) == 0


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        ({"Cmd": []}, InvalidArgument, "No exec command specified"),
        ({"Cmd": ["true"], "Tty": "yes"}, InvalidArgument, "Tty must be true or false"),
        ({"Cmd": ["true"], "DetachKeys": "ctrl-1"}, InvalidArgument, "Invalid escape keys"),
        ({"Cmd": ["true"], "WorkingDir": "rel"}, InvalidArgument, "needs to be an absolute path"),
        ({"Cmd": ["true"], "ConsoleSize": [1]}, InvalidArgument, "ConsoleSize must be"),
        ({"Cmd": ["true"], "Bogus": 1}, InvalidArgument, "the exec field Bogus is not supported"),
        ({"Cmd": ["a\0b"]}, InvalidArgument, "without NUL"),
    ],
)
async def test_bad_exec_bodies(
    engine: Engine, body: dict[str, object], error: type[Exception], words: str
) -> None:
    await engine.run("sleep", "300", name="box")
    with pytest.raises(error, match=words):
        engine.services.containers.execs.create("box", body)


async def test_keys_match_without_regard_to_case_as_docker_decodes_them(engine: Engine) -> None:
    await engine.run("sleep", "300", name="box")
    execs = engine.services.containers.execs
    created = execs.create("box", {"cmd": ["echo"], "tty": True, "detachKeys": "ctrl-x"})
    session = execs.get(created["Id"])
    assert (session.cmd, session.tty, session.detach_keys) == (["echo"], True, b"\x18")


async def test_state_guards(engine: Engine) -> None:
    container_id = await engine.run("sleep", "300", name="box")
    execs = engine.services.containers.execs
    lifecycle = engine.services.containers.lifecycle
    await lifecycle.pause("box")
    with pytest.raises(Conflict, match="is paused, unpause the container before exec"):
        execs.create("box", {"Cmd": ["true"]})
    await lifecycle.unpause("box")
    exec_id = execs.create("box", {"Cmd": ["sleep", "9"]})["Id"]
    session = await execs.start(exec_id)
    with pytest.raises(Conflict, match="is already running"):
        await execs.start(exec_id)
    await execs.resize(exec_id, 40, 120)
    assert engine.runtime.execs[-1].size == (40, 120)
    await engine.services.containers.removal.remove("box", force=True)
    assert exec_id not in execs.sessions, "a removed container's sessions go with it"
    assert await execs.finish(session) == 137
    with pytest.raises(NotFound, match="No such exec instance"):
        execs.inspect(exec_id)
    with pytest.raises(NotFound):
        execs.create(container_id, {"Cmd": ["true"]})
