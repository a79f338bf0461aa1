"""Create bodies real clients send: every flag tuibox honours is accepted, every other refused.

The bodies are those tests/captured_bodies.py loads, one per flag and client.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from tests.captured_bodies import CAPTURED
from tests.fakes.host import LIMITS
from tuibox.engine.domain.capabilities import ALL_CAPABILITIES
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.creation import check_create_body
from tuibox.engine.services.containers.rules.create import validate_create_body
from tuibox.engine.services.containers.rules.fields import (
    HONOURED,
    NOT_YET,
    canonical_body,
    check_fields,
    is_unset,
)
from tuibox.engine.services.containers.rules.mounts import parse_mounts
from tuibox.engine.services.containers.rules.security import security_settings

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
    "--workdir", "-w", "-m", "-m + --memory-swap", "--memory-swap -1", "--memory-reservation",
    "--memory-swappiness", "--memory-swappiness 0", "--cpus", "--cpu-shares", "--cpu-period",
    "--cpu-quota", "--cpuset-cpus", "--cpuset-mems", "--pids-limit", "-c",
    "--mount anon volume", "--mount bind", "--mount bind ro", "--mount tmpfs", "--mount volume",
    "--tmpfs", "--tmpfs opts", "--volume-driver", "--volumes-from", "--volumes-from ro",
    "-v anonymous", "-v bind", "-v bind opts", "-v bind ro", "-v named", "-v named ro",
    "--cap-add", "--cap-add ALL", "--cap-drop", "--cap-drop ALL", "--cgroupns private",
    "--device", "--device short", "--device-cgroup-rule", "--domainname", "--group-add",
    "--group-add gid", "--init", "--oom-score-adj", "--privileged", "--read-only",
    "--security-opt label=disable", "--security-opt no-new-privileges",
    "--security-opt no-new-privileges:true", "--security-opt seccomp=file",
    "--security-opt seccomp=unconfined", "--security-opt systempaths=unconfined",
    "--shm-size", "--sysctl", "--ulimit", "--ulimit soft-only", "--add-host",
    "--add-host ipv6", "--dns", "--dns-option", "--dns-search", "--restart always",
    "--restart on-failure", "--restart on-failure:3", "--restart unless-stopped",
    "--health all", "--health-cmd", "--health-interval", "--health-retries",
    "--health-start-period", "--health-timeout", "--health-start-interval",
    "-a stdin", "-a stdin -a stdout -a stderr", "-i", "-it", "-t",
    "create -it (under a pty, 40x120)", "run -it (under a pty, 40x120)",
    "--add-host host-gateway", "--expose", "--expose range/udp", "--ip with --network",
    "--network bridge",
    "--network container", "--network host", "--network name", "--network twice",
    "--network-alias with --network", "-P",
    "-P with --expose", "-p 80", "-p 8080:80", "-p ip::ctr", "-p ip:host:ctr/tcp", "-p range",
    "-p twice same ctr port", "-p udp",
}  # fmt: skip
"""Flags whose create body tuibox honours: they set nothing else, or only what Docker's
own defaults are (`--ipc private`, `--cgroupns host` on cgroup v1), or act in the client."""

GRANTABLE = tuple(cap for cap in ALL_CAPABILITIES if cap != "CAP_SYS_RESOURCE")
"""What the engine holds on this machine kind: every capability but CAP_SYS_RESOURCE."""

HONOURED_BY_CLIENT = {
    "docker-cli-20.10.24": set(),
    "docker-cli-28.2.2": {"-v bind relative", "--use-api-socket"},
}
"""Flags one client turns into an honoured request: CLI 23 and later send ./x as an
absolute bind, and --use-api-socket is a bind of the engine's socket."""

RULE_REFUSALS = {
    "-v bind relative": "includes invalid characters for a local volume name",
    "--mount volume opts": "volume-driver and volume-opt are not supported by the tuibox engine",
    "mounts string": "HostConfig.Mounts must be a list of objects",

    "--memory-swap": "You should always set the Memory limit when using Memoryswap limit",
    "memswap_limit": "You should always set the Memory limit when using Memoryswap limit",
    "--blkio-weight": "--blkio-weight cannot be enforced on this host",
    "-p ipv6": "IPv6 host addresses are not supported by the tuibox engine yet",
    "-p sctp": "sctp ports are not supported by the tuibox engine yet",
    "--ip6 with --network": "IPAMConfig.IPv6Address (--ip6/--link-local-ip) is not supported",
    "--network long name,alias,driver-opt": "--network driver-opt is not supported",
    "--network long": "--network driver-opt is not supported",
    "--network long no-mac": "--network driver-opt is not supported",
    "--mac-address with --network": "--mac-address is not supported by the tuibox engine yet",
    "--ip": "user specified IP address is supported on user defined networks only",
    "blkio_weight": "--blkio-weight cannot be enforced on this host",
}
"""Refused by Docker's own rules (swap without memory, a relative bind path, mounts as
strings, which dockerd cannot decode either), by a mount option not honoured yet, or because
this host (the fake one of tests/fakes/host.py, as this machine kind) cannot enforce them."""

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
    "mem_limit", "mem_limit int", "mem_reservation", "mem_swappiness", "memswap_limit -1",
    "nano_cpus", "cpu_shares", "cpu_period", "cpu_quota", "cpuset_cpus", "cpuset_mems",
    "pids_limit", "mounts bind", "mounts tmpfs", "mounts volume", "tmpfs dict", "tmpfs list",
    "volume_driver", "volumes dict", "volumes dict named", "volumes list", "volumes_from",
    "api: volumes list", "cap_add", "cap_drop", "cgroupns", "device_cgroup_rules", "devices",
    "devices short", "domainname", "group_add", "init", "oom_score_adj", "privileged",
    "read_only", "shm_size", "sysctls", "ulimits", "dns", "dns_opt", "dns_search",
    "extra_hosts dict", "extra_hosts list", "restart_policy always", "restart_policy on-failure",
    "restart_policy unless-stopped", "healthcheck", "healthcheck str test",
    "stdin_open", "tty", "api: ports list", "network", "network + networking_config",
    "network host", "network_mode bridge", "network_mode container", "network_mode host",
    "ports None", "ports dict", "ports int", "ports list", "ports str/tcp", "ports tuple ip",
    "ports udp", "publish_all_ports",
}  # fmt: skip
"""docker-py keyword arguments tuibox honours (run-only ones act in the client)."""


def _cases(clients: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(client, case) for client in clients for case in sorted(CAPTURED[client])]


def _refusal(body: dict[str, Any]) -> str | None:
    """What the engine's create rules say of a body: the fields, then the limits."""
    canonical = canonical_body(body)
    try:
        check_create_body(canonical, LIMITS, partial(
            security_settings, grantable=GRANTABLE, hard_limits={"nofile": 20000}))  # fmt: skip
        parse_mounts(canonical, {})
    except InvalidArgument as err:
        return str(err)
    return None


@pytest.mark.parametrize(("client", "case"), _cases(CLI_CLIENTS))
def test_each_docker_cli_flag_is_honoured_or_refused_by_name(client: str, case: str) -> None:
    captured = CAPTURED[client][case]
    refusal = _refusal(captured["body"])
    if case in HONOURED_CLI_CASES or case in HONOURED_BY_CLIENT[client]:
        assert refusal is None, f"{case}: {refusal}"
    elif case in DROPPED_BY_CLIENT[client]:
        assert captured["body"] == CAPTURED[client]["baseline"]["body"]
        assert refusal is None
    elif case in RULE_REFUSALS:
        assert refusal is not None and RULE_REFUSALS[case] in refusal, refusal
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
    elif case in RULE_REFUSALS:
        assert refusal is not None and RULE_REFUSALS[case] in refusal, refusal
    else:
        assert refusal is not None, f"{case} was accepted"
        assert "not supported by the tuibox engine" in refusal


@pytest.mark.parametrize(
    ("case", "flag"),
    [
        ("--oom-kill-disable", "--oom-kill-disable"),
        ("--cpu-rt-runtime", "--cpu-rt-runtime"),
        ("--blkio-weight-device", "--blkio-weight-device"),
        ("--storage-opt", "--storage-opt"),
        ("--log-opt", "--log-opt"),
        ("--link", "--link"),
        ("--security-opt apparmor=x", "--security-opt apparmor=x"),
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
