"""The OCI config builder produces Docker's default container profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuibox.engine.runtime.oci_spec import (
    DEFAULT_CAPABILITIES,
    RuntimeSpec,
    build_oci_config,
    container_env,
    host_thermal_throttle_paths,
)
from tuibox.engine.runtime.seccomp import compile_profile, load_default_profile


def make_spec(**overrides: object) -> RuntimeSpec:
    values: dict[str, object] = {
        "container_id": "c0ffee" * 10 + "abcd",
        "rootfs": Path("/var/lib/tuibox/containers/x/merged"),
        "args": ("sh", "-c", "echo hi"),
        "env": ("PATH=/bin", "FOO=bar"),
        "cwd": "",
        "hostname": "c0ffeec0ffee",
        "cgroup_path": "/tuibox/x",
        "nofile_limit": 20000,
    }
    values.update(overrides)
    return RuntimeSpec(**values)  # type: ignore[arg-type]


def test_config_is_json_serialisable_with_root_and_process() -> None:
    config = build_oci_config(make_spec())
    json.dumps(config)
    assert config["root"] == {"path": "/var/lib/tuibox/containers/x/merged", "readonly": False}
    assert config["process"]["args"] == ["sh", "-c", "echo hi"]
    assert config["process"]["cwd"] == "/"
    assert config["process"]["user"] == {"uid": 0, "gid": 0}
    assert config["hostname"] == "c0ffeec0ffee"


def test_namespaces_are_docker_defaults_without_user_or_cgroup_on_v1() -> None:
    kinds = [ns["type"] for ns in build_oci_config(make_spec())["linux"]["namespaces"]]
    assert sorted(kinds) == ["ipc", "mount", "network", "pid", "uts"]
    kinds = [
        ns["type"]
        for ns in build_oci_config(make_spec(cgroup_namespace=True))["linux"]["namespaces"]
    ]
    assert "cgroup" in kinds


def test_capabilities_are_dockers_fourteen_with_no_inheritable_or_ambient() -> None:
    caps = build_oci_config(make_spec())["process"]["capabilities"]
    assert len(DEFAULT_CAPABILITIES) == 14
    assert caps["bounding"] == caps["effective"] == caps["permitted"] == list(DEFAULT_CAPABILITIES)
    assert "inheritable" not in caps and "ambient" not in caps
    assert "CAP_SYS_ADMIN" not in caps["bounding"]


def test_only_nofile_rlimit_at_the_given_limit_and_no_new_privileges_off() -> None:
    process = build_oci_config(make_spec(nofile_limit=1234))["process"]
    assert process["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1234, "soft": 1234}]
    assert process["noNewPrivileges"] is False
    assert process["oomScoreAdj"] == 0


def test_mounts_cover_proc_dev_sys_and_cgroup_readonly() -> None:
    mounts = {m["destination"]: m for m in build_oci_config(make_spec())["mounts"]}
    assert list(mounts) == [
        "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"
    ]  # fmt: skip
    assert mounts["/dev"]["type"] == "tmpfs"
    assert "ro" in mounts["/sys"]["options"]
    assert "ro" in mounts["/sys/fs/cgroup"]["options"]
    assert "size=67108864" in mounts["/dev/shm"]["options"]
    assert "gid=5" in mounts["/dev/pts"]["options"]


def test_masked_and_readonly_paths_and_device_rules() -> None:
    linux = build_oci_config(make_spec(extra_masked_paths=("/sys/x/thermal_throttle",)))["linux"]
    assert "/proc/kcore" in linux["maskedPaths"]
    assert "/sys/firmware" in linux["maskedPaths"]
    assert linux["maskedPaths"][-1] == "/sys/x/thermal_throttle"
    assert linux["readonlyPaths"] == [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]  # fmt: skip
    rules = linux["resources"]["devices"]
    assert rules[0] == {"allow": False, "access": "rwm"}
    assert {"allow": True, "access": "rwm", "type": "c", "major": 1, "minor": 3} in rules
    assert rules[-1] == {"allow": False, "access": "rwm", "type": "c", "major": 10, "minor": 229}
    assert linux["cgroupsPath"] == "/tuibox/x"
    assert "seccomp" not in linux


def test_env_adds_hostname_and_home_and_keeps_user_path() -> None:
    env = container_env(make_spec())
    assert env == ["HOSTNAME=c0ffeec0ffee", "PATH=/bin", "FOO=bar", "HOME=/root"]


def test_env_gets_default_path_and_term_for_a_terminal() -> None:
    env = container_env(make_spec(env=("HOME=/home/x",), terminal=True))
    assert env[0].startswith("PATH=/usr/local/sbin:")
    assert "TERM=xterm" in env
    assert "HOME=/root" not in env


def test_thermal_throttle_paths_are_found_per_cpu(tmp_path: Path) -> None:
    (tmp_path / "devices/system/cpu/cpu0/thermal_throttle").mkdir(parents=True)
    (tmp_path / "devices/system/cpu/cpu1").mkdir(parents=True)
    (tmp_path / "devices/system/cpu/cpu12/thermal_throttle").mkdir(parents=True)
    assert host_thermal_throttle_paths(tmp_path) == (
        "/sys/devices/system/cpu/cpu0/thermal_throttle",
        "/sys/devices/system/cpu/cpu12/thermal_throttle",
    )


def compiled_default(goarch: str = "amd64", caps: tuple[str, ...] = DEFAULT_CAPABILITIES,
                     kernel: tuple[int, int] = (6, 1)) -> dict[str, Any]:  # fmt: skip
    return compile_profile(
        load_default_profile(), goarch=goarch, capabilities=caps, kernel=kernel
    )


def rules_for(compiled: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [rule for rule in compiled["syscalls"] if name in rule["names"]]


def test_seccomp_default_profile_compiles_for_amd64_like_moby() -> None:
    compiled = compiled_default()
    assert compiled["defaultAction"] == "SCMP_ACT_ERRNO"
    assert compiled["defaultErrnoRet"] == 1
    assert compiled["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert rules_for(compiled, "arch_prctl")  # amd64-only rule kept
    assert not rules_for(compiled, "s390_runtime_instr")  # other arches dropped
    assert not rules_for(compiled, "mount")  # CAP_SYS_ADMIN-only rule dropped
    assert rules_for(compiled, "clone3") == [
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
    ]
    for rule in compiled["syscalls"]:
        assert set(rule) <= {"names", "action", "errnoRet", "args"}


def test_seccomp_rules_follow_capabilities_and_kernel() -> None:
    with_admin = compiled_default(caps=(*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"))
    assert rules_for(with_admin, "mount")
    clone3 = rules_for(with_admin, "clone3")
    assert clone3 and all(rule["action"] == "SCMP_ACT_ALLOW" for rule in clone3)
    old_kernel = compiled_default(kernel=(4, 4))
    assert not rules_for(old_kernel, "process_vm_writev")
    assert rules_for(compiled_default(kernel=(4, 8)), "process_vm_writev")


def test_seccomp_lands_in_the_config_when_given() -> None:
    seccomp = compiled_default()
    assert build_oci_config(make_spec(seccomp=seccomp))["linux"]["seccomp"] is seccomp


def test_network_namespace_new_shared_or_the_hosts() -> None:
    def network(**overrides: object) -> tuple[list[dict[str, str]], dict[str, str]]:
        linux = build_oci_config(make_spec(**overrides))["linux"]
        return [n for n in linux["namespaces"] if n["type"] == "network"], linux["sysctl"]

    namespaces, sysctls = network()
    assert namespaces == [{"type": "network"}]
    assert sysctls["net.ipv4.ping_group_range"] == "0 2147483647"
    namespaces, sysctls = network(network_namespace="/proc/42/ns/net")
    assert namespaces == [{"type": "network", "path": "/proc/42/ns/net"}]
    assert "net.ipv4.ping_group_range" not in sysctls, "the owner's namespace is left as it is"
    namespaces, sysctls = network(host_network=True)
    assert namespaces == [] and not any(k.startswith("net.") for k in sysctls), (
        "the host's own network settings are never written")  # fmt: skip
