"""`--restart` against the real engine: restarts with backoff, stop ends them, and the
engine starts what the policies want when it starts again (after a crash too)."""

from __future__ import annotations

import json
import time

import pytest

from tests.engine.conftest import EngineProcess, wait_for

pytestmark = pytest.mark.engine


def _state(cli: EngineProcess, name: str) -> dict[str, object]:
    result = cli.docker("inspect", "-f", "{{json .State}} {{.RestartCount}}", name)
    state_json, _, count = result.stdout.strip().rpartition(" ")
    state: dict[str, object] = json.loads(state_json)
    state["RestartCount"] = int(count)
    return state


def test_on_failure_restarts_n_times_then_stays_exited(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox",
                     "sh", "-c", "echo run; exit 3")  # fmt: skip
    assert run.returncode == 0, run.stderr
    wait_for(lambda: _state(cli, "flaky")["RestartCount"] == 2
              and _state(cli, "flaky")["Status"] == "exited")  # fmt: skip
    time.sleep(1.0)
    state = _state(cli, "flaky")
    assert (state["RestartCount"], state["ExitCode"], state["Status"]) == (2, 3, "exited")
    assert cli.docker("logs", "flaky").stdout.count("run") == 3


def test_always_keeps_it_up_until_stopped(cli: EngineProcess) -> None:
    run = cli.docker("run", "-d", "--name", "phoenix", "--restart", "always", "busybox",
                     "sh", "-c", "sleep 0.3; exit 0")  # fmt: skip
    assert run.returncode == 0, run.stderr
    wait_for(lambda: int(_state(cli, "phoenix")["RestartCount"]) >= 2)  # type: ignore[call-overload]
    assert cli.docker("stop", "-t", "1", "phoenix").returncode == 0
    stopped = _state(cli, "phoenix")
    time.sleep(1.5)
    later = _state(cli, "phoenix")
    assert later["Status"] == "exited" and later["RestartCount"] == stopped["RestartCount"]


def test_policies_after_the_engine_restarts(fresh_engine: EngineProcess) -> None:
    engine = fresh_engine
    assert engine.docker("pull", "busybox").returncode == 0
    for name, policy in (("up-always", "always"), ("down-unless", "unless-stopped"),
                         ("stopped-always", "always"), ("no-policy", "no")):  # fmt: skip
        run = engine.docker("run", "-d", "--name", name, "--restart", policy, "busybox",
                            "sleep", "300")  # fmt: skip
        assert run.returncode == 0, run.stderr
    for name in ("down-unless", "stopped-always"):
        assert engine.docker("stop", "-t", "0", name).returncode == 0
    engine.stop(sig_kill=True)  # the containers run on under conmon
    engine.start()
    for name in ("up-always", "no-policy"):  # killed under the new engine: the policy acts
        assert engine.docker("kill", name).returncode == 0
    wait_for(lambda: _state(engine, "up-always")["Running"] is True
              and int(_state(engine, "up-always")["RestartCount"]) >= 1)  # type: ignore[call-overload]
    engine.stop()
    engine.start()  # now `always` starts the one stopped by hand too; unless-stopped does not
    states = {name: _state(engine, name)["Running"]
              for name in ("up-always", "down-unless", "stopped-always", "no-policy")}  # fmt: skip
    assert states == {"up-always": True, "down-unless": False, "stopped-always": True,
                      "no-policy": False}  # fmt: skip
