"""conmon's argv, its sync-pipe messages and crun's state output, parsed without running them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.runtime.conmon import (
    ConmonPaths,
    ConmonRuntime,
    build_conmon_argv,
    parse_sync_message,
)
from tuibox.engine.runtime.crun import CrunResult, parse_state


def option_value(argv: list[str], option: str) -> str:
    return argv[argv.index(option) + 1]


def test_argv_names_every_path_under_the_exec_root() -> None:
    paths = ConmonPaths(Path("/run/tb"))
    argv = build_conmon_argv(
        paths, "abc", Path("/b/abc"), Path("/logs/abc.log"),
        conmon_path="/usr/bin/conmon", crun_path="/usr/bin/crun",
        crun_global_args=["--root=/run/tb/crun"], name="web",
    )  # fmt: skip
    assert argv[0] == "/usr/bin/conmon"
    assert option_value(argv, "--api-version") == "1"
    assert option_value(argv, "-c") == option_value(argv, "-u") == "abc"
    assert option_value(argv, "-r") == "/usr/bin/crun"
    assert option_value(argv, "-b") == "/b/abc"
    assert option_value(argv, "-n") == "web"
    assert option_value(argv, "-p") == "/run/tb/conmon/abc/pidfile"
    assert option_value(argv, "--conmon-pidfile") == "/run/tb/conmon/abc/conmon.pid"
    assert option_value(argv, "--exit-dir") == "/run/tb/exits"
    assert option_value(argv, "--socket-dir-path") == "/run/tb/sockets"
    assert option_value(argv, "-l") == "k8s-file:/logs/abc.log"
    assert option_value(argv, "--runtime-arg") == "--root=/run/tb/crun"
    assert option_value(argv, "--log-level") == "error"
    assert "--full-attach" in argv
    assert "-i" not in argv and "-t" not in argv


def test_argv_name_defaults_to_the_id() -> None:
    argv = build_conmon_argv(
        ConmonPaths(Path("/x")), "abc", Path("/b"), Path("/l"),
        conmon_path="conmon", crun_path="crun", crun_global_args=[],
    )  # fmt: skip
    assert option_value(argv, "-n") == "abc"
    assert "--runtime-arg" not in argv


def test_runtime_keeps_crun_state_under_exec_root() -> None:
    runtime = ConmonRuntime(Path("/run/tb"))
    assert runtime.crun.global_args() == ["--root=/run/tb/crun"]
    assert runtime.paths.exit_file("abc") == Path("/run/tb/exits/abc")


def test_sync_message_with_a_pid() -> None:
    assert parse_sync_message(b'{"data": 4024}\n') == 4024


def test_sync_message_with_an_error_carries_crun_text() -> None:
    line = (
        b'{"data": -1, "message": "executable file `/bin/nope` not found in $PATH: '
        b'No such file or directory\\n"}\n'
    )
    with pytest.raises(RuntimeFailure, match="executable file `/bin/nope` not found"):
        parse_sync_message(line)


def test_sync_message_garbage_is_a_runtime_failure() -> None:
    with pytest.raises(RuntimeFailure, match="unexpected sync message"):
        parse_sync_message(b"nonsense")


def test_crun_state_is_parsed() -> None:
    state = parse_state(b'{"ociVersion": "1.0.0", "id": "x", "pid": 77, "status": "running"}')
    assert (state.status, state.pid) == ("running", 77)
    assert parse_state(b'{"id": "x", "pid": 0, "status": "stopped"}').pid == 0


def test_crun_missing_container_is_recognised_by_its_state_dir() -> None:
    text = b"error opening file `/run/tb/crun/abc/status`: No such file or directory\n"
    assert CrunResult(1, b"", text).says_missing(Path("/run/tb/crun/abc"))
    assert not CrunResult(1, b"", text).says_missing(Path("/run/tb/crun/other"))
    assert CrunResult(1, b"", b"container `abc` does not exist").says_missing(Path("/x"))
    assert not CrunResult(0, b"", text).says_missing(Path("/run/tb/crun/abc"))
