"""Stop and kill: the stop signal and its timeout, SIGKILL escalation, signal names and numbers."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.errors import InvalidArgument

BOUND_S = 5.0
"""A stop that should not wait out its timeout must return within this."""


async def test_stop_sends_sigkill_after_the_timeout_when_pid_1_ignores_sigterm(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.stop(container_id, 0, None)
    await engine.settle()
    assert engine.runtime.signals_sent(container_id) == [signal.SIGTERM, signal.SIGKILL]
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 137)
    assert engine.actions(container_id) == ["create", "start", "kill", "kill", "die", "stop"]
    assert [e.attributes["signal"] for e in engine.events_of(container_id, "kill")] == [
        "15",
        "9",
    ]


async def test_stop_returns_at_the_exit_when_sigterm_is_handled(engine: Engine) -> None:
    engine.runtime.handles_term = True
    container_id = await engine.run("sleep", "300")
    async with asyncio.timeout(BOUND_S):  # far less than the 30 s it may wait
        await engine.services.containers.lifecycle.stop(container_id, 30, None)
    assert engine.runtime.signals_sent(container_id) == [signal.SIGTERM]
    assert engine.record(container_id).state.exit_code == 143
    assert engine.actions(container_id) == ["create", "start", "kill", "die", "stop"]


async def test_stop_uses_the_stop_signal_of_the_create_body(engine: Engine) -> None:
    engine.runtime.handled_signals.add(signal.SIGINT)
    container_id = await engine.run("sleep", "300", StopSignal="SIGINT")
    await engine.services.containers.lifecycle.stop(container_id, 1, None)
    assert engine.runtime.signals_sent(container_id) == [signal.SIGINT]
    assert engine.record(container_id).state.exit_code == 128 + signal.SIGINT


async def test_the_signal_parameter_overrides_the_stop_signal(engine: Engine) -> None:
    engine.runtime.handled_signals.add(signal.SIGUSR1)
    container_id = await engine.run("sleep", "300", StopSignal="SIGINT")
    await engine.services.containers.lifecycle.stop(container_id, 1, "USR1")
    assert engine.runtime.signals_sent(container_id) == [signal.SIGUSR1]
    assert engine.record(container_id).state.exit_code == 128 + signal.SIGUSR1


async def test_stop_without_a_timeout_uses_the_stop_timeout_of_the_create_body(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", StopTimeout=0)
    async with asyncio.timeout(BOUND_S):  # far less than the default of 10 s
        await engine.services.containers.lifecycle.stop(container_id, None, None)
    assert engine.runtime.signals_sent(container_id) == [signal.SIGTERM, signal.SIGKILL]
    assert engine.record(container_id).state.exit_code == 137


@pytest.mark.parametrize("given", ["USR1", "SIGUSR1", "usr1", "10"])
async def test_kill_with_a_signal_name_or_number_sends_that_signal(
    engine: Engine, given: str
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.kill(container_id, given)
    await engine.settle()
    assert engine.runtime.signals_sent(container_id) == [signal.SIGUSR1]
    assert engine.events_of(container_id, "kill")[0].attributes["signal"] == "10"
    assert engine.record(container_id).state.status is Status.RUNNING  # PID 1 ignores it


async def test_kill_of_a_handled_signal_ends_the_run(engine: Engine) -> None:
    engine.runtime.handles_term = True
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.kill(container_id, "15")
    await engine.settle()
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 143)


async def test_kill_without_a_signal_returns_once_the_sigkill_exit_is_recorded(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300")
    await engine.services.containers.lifecycle.kill(container_id, None)
    assert engine.runtime.signals_sent(container_id) == [signal.SIGKILL]
    state = engine.record(container_id).state
    assert (state.status, state.exit_code) == (Status.EXITED, 137)
    assert engine.actions(container_id) == ["create", "start", "kill", "die"]


@pytest.mark.parametrize("given", ["SIGNOPE", "NOPE", "0", "65", "99"])
async def test_an_invalid_signal_is_an_invalid_argument_and_sends_nothing(
    engine: Engine, given: str
) -> None:
    container_id = await engine.run("sleep", "300")
    lifecycle = engine.services.containers.lifecycle
    with pytest.raises(InvalidArgument, match=f"^Invalid signal: {given}$"):
        await lifecycle.kill(container_id, given)
    with pytest.raises(InvalidArgument, match=f"^Invalid signal: {given}$"):
        await lifecycle.stop(container_id, 0, given)
    await engine.settle()
    assert engine.runtime.signals_sent(container_id) == []
    assert engine.record(container_id).state.status is Status.RUNNING
