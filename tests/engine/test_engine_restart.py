"""An engine killed with SIGKILL comes back and finds its containers as they are."""

from __future__ import annotations

import time

import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


def test_sigkilled_engine_finds_running_and_exited_containers(fresh_engine: EngineProcess) -> None:
    engine = fresh_engine
    assert engine.docker("pull", "busybox").returncode == 0
    long_run = engine.docker("run", "-d", "--name", "survivor", "busybox", "sleep", "300")
    short_run = engine.docker(
        "run", "-d", "--name", "ender", "busybox", "sh", "-c", "sleep 1; exit 5"
    )
    assert long_run.returncode == 0 and short_run.returncode == 0, (
        long_run.stderr + short_run.stderr
    )
    engine.stop(sig_kill=True)
    time.sleep(2)  # "ender" exits while no engine runs
    engine.start()
    with engine.client() as client:
        survivor = client.get("/containers/survivor/json").json()
        ender = client.get("/containers/ender/json").json()
    assert survivor["State"]["Status"] == "running"
    assert ender["State"]["Status"] == "exited"
    assert ender["State"]["ExitCode"] == 5
    stop = engine.docker("stop", "-t", "1", "survivor")
    assert stop.returncode == 0, stop.stderr
    with engine.client() as client:
        assert client.get("/containers/survivor/json").json()["State"]["Status"] == "exited"
