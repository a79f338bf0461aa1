"""Healthchecks on the fakes: the rules, the merge with the image's, and the probe loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.services.conftest import Engine
from tuibox.engine.domain.container import status_text
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.health import (
    DEFAULT_INTERVAL,
    HealthConfig,
    check_healthcheck,
    health_config,
)

MS = 1_000_000


def test_the_merge_and_dockers_defaults() -> None:
    assert health_config({"Test": ["NONE"]}, {"Test": ["CMD", "true"]}) is None
    assert health_config(None, None) is None
    merged = health_config({"Interval": 5 * MS}, {"Test": ["CMD-SHELL", "curl -f x"],
                                                  "Retries": 5})  # fmt: skip
    assert merged == HealthConfig(("sh", "-c", "curl -f x"), interval_ns=5 * MS, retries=5)
    assert health_config({"Test": ["CMD", "pg_isready", "-q"]}, None) == HealthConfig(
        ("pg_isready", "-q"), interval_ns=DEFAULT_INTERVAL)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "words"),
    [({"Test": ["HTTP", "x"]}, "unknown healthcheck type 'HTTP'"),
     ({"Test": ["CMD"]}, "needs a command"), ({"Interval": 10}, "Interval in Healthcheck"),
     ({"StartPeriod": 5}, "Start period in Healthcheck"), ({"Retries": -1}, "cannot be negative"),
     ({"Test": "true"}, "must be a list of strings"),
     ({"Test": ["CMD", "true"], "Every": 5}, "Healthcheck.Every is not supported")],
)  # fmt: skip
def test_bad_healthchecks(value: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        check_healthcheck(value)


def health(engine: Engine, container_id: str) -> dict[str, Any]:
    state = engine.services.containers.queries.inspect(container_id)["State"]
    value: dict[str, Any] = state.get("Health") or {}
    return value


async def wait_for_status(engine: Engine, container_id: str, status: str) -> None:
    async with asyncio.timeout(5):
        while health(engine, container_id).get("Status") != status:
            await asyncio.sleep(0.01)


async def test_a_passing_probe_makes_the_container_healthy(engine: Engine) -> None:
    engine.services.containers.health.start()
    container_id = await engine.run("sleep", "300", Healthcheck={
        "Test": ["CMD", "sh", "-c", "exit 0"], "Interval": 10 * MS})  # fmt: skip
    assert health(engine, container_id)["Status"] == "starting"
    assert "(health: starting)" in status_text(engine.record(container_id).state,
                                               datetime.now(UTC))  # fmt: skip
    await wait_for_status(engine, container_id, "healthy")
    entry = health(engine, container_id)["Log"][-1]
    assert entry["ExitCode"] == 0 and entry["Start"] <= entry["End"]
    assert "health_status: healthy" in engine.actions(container_id)
    assert engine.runtime.execs[-1].process["args"] == ["sh", "-c", "exit 0"]


async def test_failures_in_a_row_make_it_unhealthy_after_the_retries(engine: Engine) -> None:
    engine.services.containers.health.start()
    container_id = await engine.run("sleep", "300", Healthcheck={
        "Test": ["CMD-SHELL", "exit 1"], "Interval": 5 * MS, "Retries": 2})  # fmt: skip
    await wait_for_status(engine, container_id, "unhealthy")
    value = health(engine, container_id)
    assert value["FailingStreak"] >= 2 and len(value["Log"]) <= 5
    assert "(unhealthy)" in status_text(engine.record(container_id).state, datetime.now(UTC))


async def test_a_missing_probe_command_fails_and_the_loop_ends_with_the_container(
    engine: Engine,
) -> None:
    monitor = engine.services.containers.health
    monitor.start()
    container_id = await engine.run("sleep", "300", Healthcheck={
        "Test": ["CMD", "nosuch"], "Interval": 5 * MS, "Retries": 1})  # fmt: skip
    await wait_for_status(engine, container_id, "unhealthy")
    assert health(engine, container_id)["Log"][-1]["ExitCode"] == 127
    engine.runtime.end(container_id, 0)
    await engine.wait_for(container_id, "die")
    await asyncio.sleep(0.02)
    assert container_id not in monitor.loops


async def test_no_healthcheck_means_no_health(engine: Engine) -> None:
    engine.services.containers.health.start()
    container_id = await engine.run("sleep", "300", Healthcheck={"Test": ["NONE"]})
    assert "Health" not in engine.services.containers.queries.inspect(container_id)["State"]
    assert container_id not in engine.services.containers.health.loops
