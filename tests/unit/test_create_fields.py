"""Create bodies real clients send: every flag tuibox honours is accepted, every other refused.

The bodies are those tests/captured_bodies.py loads, one per flag and client.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.captured_bodies import CAPTURED
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.create import validate_create_body
from tuibox.engine.services.containers.rules.fields import (
    HONOURED,
    NOT_YET,
    canonical_body,
    check_fields,
    is_unset,
)

CLI_CLIENTS = ("docker-cli-20.10.24", "docker-cli-28.2.2")
PY_CLIENTS = ("docker-py-7.2-create", "docker-py-7.2-run", "docker-py-7.2-api")

HONOURED_CLI_CASES = {
    "baseline", "cmd-args", "cmd-true", "run-d", "run-plain", "run-rm", "-a stdout",
    "--cgroupns host", "--cidfile", "--entrypoint", "--entrypoint empty",
    "--entrypoint with cmd", "--env-file", "-e", "-e empty", "-e passthrough-set",
    "-e passthrough-unset", "--hostname", "-h", "--ipc private", "--isolation",
    "--label-file", "-l", "-l novalue", "--log-driver", "--name", "--network none",
    "--no-healthcheck", "--pids-limit -1", "--pids-limit 0", "--platform", "--platform arm64",
    "--pull always", "--pull missing", "--pull never", "--restart no", "--rm",
    "--stop-signal", "--stop-signal num", "--stop-timeout", "--user name", "-u", "--userns",
    "--workdir", "-w",
}  # fmt: skip
"""Flags whose create body tuibox honours: they set nothing else, or only what Docker's
own defaults are (`--ipc private`, `--cgroupns host` on cgroup v1), or act in the client."""

DROPPED_BY_CLIENT = {
    "docker-cli-20.10.24": {"--ip", "--ip6", "--link-local-ip", "--network-alias"},
    "docker-cli-28.2.2": {"--kernel-memory", "-q"},
}
"""Flags the CLI itself drops without sending anything: nothing for the engine to refuse."""

HONOURED_PY_CASES = {
    "baseline", "auto_remove", "command list", "command str", "detach", "entrypoint list",
    "entrypoint str", "environment dict", "environment list", "healthcheck NONE", "hostname",
    "isolation", "labels dict", "labels list", "name", "network_disabled",
    "network_mode none", "pids_limit -1", "platform", "stop_signal", "use_config_proxy False",
    "user", "user int", "userns_mode", "working_dir", "api: no host_config at all",
    "api: stop_timeout", "remove (run-only kwarg)", "stdout+stderr (run-only kwargs)",
}  # fmt: skip
"""docker-py keyword arguments tuibox honours (run-only ones act in the client)."""


def _cases(clients: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(client, case) for client in clients for case in sorted(CAPTURED[client])]


def _refusal(body: dict[str, Any]) -> str | None:
    try:
        validate_create_body(canonical_body(body))
    except InvalidArgument as err:
        return str(err)
    return None


@pytest.mark.parametrize(("client", "case"), _cases(CLI_CLIENTS))
def test_each_docker_cli_flag_is_honoured_or_refused_by_name(client: str, case: str) -> None:
    captured = CAPTURED[client][case]
    refusal = _refusal(captured["body"])
    if case in HONOURED_CLI_CASES:
        assert refusal is None, f"{case}: {refusal}"
    elif case in DROPPED_BY_CLIENT[client]:
        assert captured["body"] == CAPTURED[client]["baseline"]["body"]
        assert refusal is None
    else:
        assert refusal is not None, f"{case} was accepted"
        assert "not supported by the tuibox engine" in refusal
        assert _flag_named(case) in refusal, refusal


NAMED_AS = {
    "-i": "-i", "-t": "-i, -t", "-it": "-i, -t", "create": "-i, -t", "run": "-i, -t",
    "-a": "-a stdin", "-c": "--cpu-shares", "-P": "--publish-all", "-p": "--publish",
    "-v": "--volume", "-m": "--memory", "--use-api-socket": "--mount", "--health": "--health-",
    "--gpus": "--gpus", "--health-interval": "--health-", "--health-retries": "--health-",
    "--health-timeout": "--health-", "--health-start-period": "--health-",
    "--health-start-interval": "--health-", "--log-driver+--log-opt": "--log-opt",
}  # fmt: skip
"""Flags the refusal names differently: the flag that set the field, or its long form."""


def _flag_named(case: str) -> str:
    """The flag a refusal of this captured case must name."""
    if "with --network" in case or case.startswith("--network"):
        return "--network"
    flag = case.split()[0]
    return NAMED_AS.get(flag, flag)


@pytest.mark.parametrize(("client", "case"), _cases(PY_CLIENTS))
def test_each_docker_py_argument_is_honoured_or_refused(client: str, case: str) -> None:
    refusal = _refusal(CAPTURED[client][case]["body"])
    if case in HONOURED_PY_CASES:
        assert refusal is None, f"{case}: {refusal}"
    else:
        assert refusal is not None, f"{case} was accepted"
        assert "not supported by the tuibox engine" in refusal


@pytest.mark.parametrize(
    ("case", "flag"),
    [
        ("-v bind", "-v/--volume"),
        ("-v anonymous", "-v/--volume"),
        ("-p 8080:80", "-p/--publish"),
        ("-m", "-m/--memory"),
        ("--pids-limit", "--pids-limit 100"),
        ("--memory-swappiness 0", "--memory-swappiness"),
        ("--network bridge", "--network bridge"),
        ("--restart always", "--restart always"),
        ("--log-opt", "--log-opt"),
        ("--health-cmd", "--health-cmd"),
        ("--security-opt systempaths=unconfined", "--security-opt systempaths=unconfined"),
        ("--runtime", "--runtime runc"),
        ("--uts", "--uts host"),
    ],
)
def test_refusals_name_the_flag_the_user_typed(case: str, flag: str) -> None:
    for client in CLI_CLIENTS:
        refusal = _refusal(CAPTURED[client][case]["body"])
        assert refusal is not None and refusal.startswith(flag), refusal


def test_the_mac_address_is_named_wherever_the_cli_puts_it() -> None:
    old = _refusal(CAPTURED["docker-cli-20.10.24"]["--mac-address"]["body"])
    new = _refusal(CAPTURED["docker-cli-28.2.2"]["--mac-address"]["body"])
    assert old is not None and old.startswith("--mac-address")
    assert new is not None and new.startswith("--mac-address")


def test_keys_match_without_regard_to_case_as_docker_decodes_them() -> None:
    with pytest.raises(InvalidArgument, match="--cpu-rt-period"):
        validate_create_body(canonical_body({"Image": "x", "HostConfig": {"CPURealtimePeriod": 5}}))
    body = canonical_body({"image": "busybox", "cmd": ["true"], "hostconfig": {"autoremove": True}})
    assert body == {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"AutoRemove": True}}


def test_the_exact_spelling_wins_over_another_case() -> None:
    assert canonical_body({"cmd": ["a"], "Cmd": ["b"]}) == {"Cmd": ["b"]}
    assert canonical_body({"Cmd": ["b"], "cmd": ["a"]}) == {"Cmd": ["b"]}


def test_unknown_fields_are_refused_unless_unset() -> None:
    check_fields({"Image": "x", "FutureField": None, "HostConfig": {"FutureLimit": 0}})
    with pytest.raises(InvalidArgument, match=r"HostConfig\.FutureLimit is not supported"):
        check_fields({"Image": "x", "HostConfig": {"FutureLimit": 3}})
    with pytest.raises(InvalidArgument, match="the create field Bogus"):
        check_fields({"Image": "x", "Bogus": "yes"})


@pytest.mark.parametrize(
    ("value", "path", "unset"),
    [
        (None, "", True), (0, "", True), ("", "", True), (False, "", True), ([], "", True),
        ([0, 0], "HostConfig.ConsoleSize", True), ({"Type": "", "Config": {}}, "x", True),
        ({"80/tcp": {}}, "ExposedPorts", False), ({"/data": {}}, "Volumes", False),
        ({"max-size": ""}, "HostConfig.LogConfig.Config", False), (True, "", False),
        (["x"], "", False), ({"Name": "no"}, "HostConfig.RestartPolicy", False),
    ],
)  # fmt: skip
def test_what_counts_as_not_asked_for(value: Any, path: str, unset: bool) -> None:
    assert is_unset(value, path) is unset


def test_no_field_is_both_honoured_and_not_yet() -> None:
    assert not set(HONOURED) & set(NOT_YET)
