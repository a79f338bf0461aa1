"""The isolation rules: capabilities, security options, sysctls, ulimits, devices (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tuibox.engine.domain.capabilities import ALL_CAPABILITIES
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.runtime.host_security import bounding_capabilities
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES, SHM_SIZE
from tuibox.engine.services.containers.rules.security import (
    normalise_capability,
    security_settings,
)

HELD = tuple(cap for cap in ALL_CAPABILITIES if cap != "CAP_SYS_RESOURCE")
LIMITS = {"nofile": 20000, "nproc": -1}


def settings(**host_config: Any) -> Any:
    return security_settings(host_config, grantable=HELD, hard_limits=LIMITS)


def test_docker_defaults() -> None:
    default = settings()
    assert set(default.capabilities) == set(DEFAULT_CAPABILITIES)
    assert (default.seccomp, default.masked_paths, default.readonly_paths) == (
        "default", None, None)  # fmt: skip
    assert (default.shm_size, default.privileged, default.no_new_privileges) == (
        SHM_SIZE, False, False)  # fmt: skip


def test_capability_names_with_or_without_the_prefix() -> None:
    assert normalise_capability("net_admin") == "CAP_NET_ADMIN"
    assert normalise_capability("CAP_SYS_ADMIN") == "CAP_SYS_ADMIN"
    added = settings(CapAdd=["NET_ADMIN"], CapDrop=["chown", "CAP_KILL"]).capabilities
    assert "CAP_NET_ADMIN" in added and "CAP_CHOWN" not in added and "CAP_KILL" not in added
    assert settings(CapDrop=["ALL"], CapAdd=["SYS_ADMIN"]).capabilities == ("CAP_SYS_ADMIN",)
    assert settings(CapAdd=["ALL"], CapDrop=["NET_RAW"]).capabilities == tuple(
        c for c in HELD if c != "CAP_NET_RAW")  # fmt: skip


def test_capabilities_the_engine_cannot_grant_or_that_do_not_exist() -> None:
    with pytest.raises(InvalidArgument, match="does not hold CAP_SYS_RESOURCE itself"):
        settings(CapAdd=["SYS_RESOURCE"])
    with pytest.raises(InvalidArgument, match="unknown capability: 'CAP_WIZARD'"):
        settings(CapDrop=["wizard"])


def test_privileged_is_everything_held_and_no_profile() -> None:
    privileged = settings(Privileged=True, CapDrop=["ALL"])
    assert privileged.capabilities == HELD
    assert (privileged.seccomp, privileged.masked_paths, privileged.readonly_paths) == (
        "unconfined", (), ())  # fmt: skip


@pytest.mark.parametrize(
    ("options", "nnp", "seccomp"),
    [(["no-new-privileges"], True, "default"), (["no-new-privileges:true"], True, "default"),
     (["no-new-privileges=false"], False, "default"), (["seccomp=unconfined"], False,
     "unconfined"), (["apparmor=unconfined", "label=disable"], False, "default")],
)  # fmt: skip
def test_security_options(options: list[str], nnp: bool, seccomp: str) -> None:
    chosen = settings(SecurityOpt=options)
    assert (chosen.no_new_privileges, chosen.seccomp) == (nnp, seccomp)


def test_a_custom_seccomp_profile_arrives_as_json_text() -> None:
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
                                                                "action": "SCMP_ACT_ERRNO"}]}
    chosen = settings(SecurityOpt=[f"seccomp={json.dumps(profile)}"])
    assert (chosen.seccomp, chosen.seccomp_profile) == ("custom", profile)
    with pytest.raises(InvalidArgument, match="Decoding seccomp profile failed"):
        settings(SecurityOpt=["seccomp={not json"])
    with pytest.raises(InvalidArgument, match="defaultAction is missing"):
        settings(SecurityOpt=['seccomp={"syscalls": []}'])


@pytest.mark.parametrize(
    ("host_config", "words"),
    [
        ({"SecurityOpt": ["apparmor=docker-default"]}, "applies no AppArmor profiles"),
        ({"SecurityOpt": ["label=user:USER"]}, "applies no SELinux profiles"),
        ({"SecurityOpt": ["bogus"]}, "Invalid --security-opt: 'bogus'"),
        ({"Sysctls": {"kernel.panic": "1"}}, "sysctl 'kernel.panic' is not allowed"),
        ({"Sysctls": {"net..x": "1"}}, "is not a sysctl name"),
        ({"Ulimits": [{"Name": "nofile", "Soft": 1, "Hard": 30000}]}, "above the host's hard"),
        ({"Ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 5}]}, "soft limit must be less"),
        ({"Ulimits": [{"Name": "wings", "Soft": 1, "Hard": 1}]}, "invalid ulimit type: wings"),
        ({"OomScoreAdj": -1001}, "oom score adj must be in range"),
        ({"ShmSize": -1}, "SHM size can not be less than 0"),
        ({"GroupAdd": ["bad group"]}, "invalid group name or id"),
        ({"Devices": [{"PathOnHost": "dev/null"}]}, "needs an absolute host path"),
        ({"Devices": [{"PathOnHost": "/dev/null", "CgroupPermissions": "rwx"}]},
         "invalid device permissions"),
        ({"DeviceCgroupRules": ["c 1:3"]}, "invalid device cgroup format"),
        ({"MaskedPaths": ["proc/kcore"]}, "must hold absolute paths"),
        ({"Privileged": "yes"}, "HostConfig.Privileged must be true or false"),
    ],
)  # fmt: skip
def test_what_is_refused(host_config: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(")):
        settings(**host_config)


def test_what_is_accepted() -> None:
    chosen = settings(
        Sysctls={"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "9"},
        Ulimits=[{"Name": "nofile", "Soft": 1024, "Hard": 2048},
                 {"Name": "nproc", "Soft": -1, "Hard": -1}],
        OomScoreAdj=-500, ShmSize=1 << 20, GroupAdd=["audio", "1234"], CgroupnsMode="private",
        Devices=[{"PathOnHost": "/dev/fuse", "PathInContainer": "", "CgroupPermissions": "rw"}],
        DeviceCgroupRules=["c 1:3 rwm", "b *:* m"], Init=True, ReadonlyRootfs=True,
        MaskedPaths=[], ReadonlyPaths=["/proc/sys"],
    )  # fmt: skip
    assert chosen.ulimits == (("RLIMIT_NOFILE", 1024, 2048), ("RLIMIT_NPROC", -1, -1))
    assert chosen.devices[0].path_in_container == "/dev/fuse"
    assert chosen.device_rules == (("c", 1, 3, "rwm"), ("b", None, None, "m"))
    assert (chosen.masked_paths, chosen.readonly_paths) == ((), ("/proc/sys",))
    assert chosen.cgroup_namespace and chosen.init and chosen.readonly_rootfs


def test_the_bounding_set_from_proc_status() -> None:
    status = "Name:\tx\nCapBnd:\t000001ffffffffff\n"
    held = bounding_capabilities(status)
    assert held == ALL_CAPABILITIES
    without_sys_resource = f"CapBnd:\t{((1 << 41) - 1) & ~(1 << 24):016x}\n"
    assert "CAP_SYS_RESOURCE" not in bounding_capabilities(without_sys_resource)
