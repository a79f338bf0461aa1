"""Healthchecks against the real engine: --health-* flags, run through exec, shown as Docker."""

from __future__ import annotations

import json
import time

import pytest

from tests.engine.conftest import EngineProcess, wait_for

pytestmark = pytest.mark.engine


def _health(cli: EngineProcess, name: str) -> dict[str, object]:
    out = cli.docker("inspect", "-f", "{{json .State.Health}}", name).stdout
    value: dict[str, object] = json.loads(out) or {}
    return value


def test_a_passing_check_turns_healthy(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--name", "fine", "--health-cmd", "test -d /tmp",
                     "--health-interval", "1s", "busybox", "sleep", "300")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert _health(cli, "fine")["Status"] == "starting"
    wait_for(lambda: _health(cli, "fine").get("Status") == "healthy")
    status = cli.docker("ps", "--filter", "name=fine", "--format", "{{.Status}}").stdout
    assert status.strip().endswith("(healthy)"), status
    log = _health(cli, "fine")["Log"]
    assert isinstance(log, list) and log[-1]["ExitCode"] == 0


def test_a_failing_check_turns_unhealthy_after_the_retries(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--name", "sick", "--health-cmd", "echo nope; exit 1",
                     "--health-interval", "1s", "--health-retries", "2", "busybox",
                     "sleep", "300")  # fmt: skip
    assert run.returncode == 0, run.stderr
    wait_for(lambda: _health(cli, "sick").get("Status") == "unhealthy")
    health = _health(cli, "sick")
    assert int(health["FailingStreak"]) >= 2  # type: ignore[call-overload]
    assert health["Log"][-1]["Output"] == "nope\n"  # type: ignore[index]
    since = str(int(time.time()) - 60)
    events = cli.docker("events", "--since", since, "--until", str(int(time.time()) + 1),
                        "--filter", "container=sick", "--format", "{{.Action}}").stdout  # fmt: skip
    assert "health_status: unhealthy" in events


def test_no_healthcheck_and_bad_values(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--name", "plain", "--no-healthcheck", "busybox", "sleep", "300")
    assert run.returncode == 0, run.stderr
    assert _health(cli, "plain") == {}
    bad = cli.docker("run", "--rm", "--health-cmd", "true", "--health-interval", "100us",
                     "busybox", "true")  # fmt: skip
    assert bad.returncode == 125 and "Interval in Healthcheck cannot be less than 1ms" in (
        bad.stderr)  # fmt: skip
