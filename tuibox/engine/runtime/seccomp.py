"""Compile moby's default seccomp profile into the OCI ``linux.seccomp`` form (pure).

``seccomp_default.json`` beside this module is moby's default profile
(github.com/moby/profiles/seccomp/default.json v0.2.3), Apache License 2.0,
Copyright Docker, Inc. and the Moby project contributors.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_PROFILE_PATH = Path(__file__).with_name("seccomp_default.json")

# Go's GOARCH names (used by the profile's includes/excludes) and the matching libseccomp arch.
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "s390x": "s390x", "riscv64": "riscv64",
           "ppc64le": "ppc64le", "loongarch64": "loong64"}  # fmt: skip
_SCMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64",
              "s390x": "SCMP_ARCH_S390X", "riscv64": "SCMP_ARCH_RISCV64",
              "ppc64le": "SCMP_ARCH_PPC64LE", "loong64": "SCMP_ARCH_LOONGARCH64"}  # fmt: skip


def compile_profile(
    profile: dict[str, Any],
    *,
    goarch: str,
    capabilities: Sequence[str],
    kernel: tuple[int, int],
) -> dict[str, Any]:
    """Turn a moby-format profile into OCI ``linux.seccomp`` for one container, as moby does.

    A rule is kept when every ``includes`` condition holds (all caps held, arch listed,
    kernel at least minKernel) and no ``excludes`` condition does.

    Args:
        profile: the profile in moby's format (``archMap``, ``includes``/``excludes``).
        goarch: the host architecture in Go's naming, e.g. ``amd64``.
        capabilities: the container's capabilities, e.g. ``CAP_SYS_ADMIN``.
        kernel: the host kernel's (major, minor).
    """
    main_arch = _SCMP_ARCH.get(goarch)
    architectures: list[str] = list(profile.get("architectures") or [])
    for entry in profile.get("archMap") or []:
        if main_arch is not None and entry["architecture"] == main_arch:
            architectures = [main_arch, *entry.get("subArchitectures", [])]
    syscalls = [
        _oci_rule(rule)
        for rule in profile.get("syscalls", [])
        if _applies(rule, goarch, set(capabilities), kernel)
    ]
    compiled: dict[str, Any] = {
        "defaultAction": profile["defaultAction"],
        "architectures": architectures,
        "syscalls": syscalls,
    }
    if "defaultErrnoRet" in profile:
        compiled["defaultErrnoRet"] = profile["defaultErrnoRet"]
    return compiled


def _kernel_at_least(kernel: tuple[int, int], minimum: str) -> bool:
    major, _, minor = minimum.partition(".")
    return kernel >= (int(major), int(minor or 0))


def _applies(rule: dict[str, Any], goarch: str, caps: set[str], kernel: tuple[int, int]) -> bool:
    includes = rule.get("includes") or {}
    excludes = rule.get("excludes") or {}
    if not set(includes.get("caps", [])) <= caps:
        return False
    if includes.get("arches") and goarch not in includes["arches"]:
        return False
    if includes.get("minKernel") and not _kernel_at_least(kernel, includes["minKernel"]):
        return False
    if caps & set(excludes.get("caps", [])) or goarch in excludes.get("arches", []):
        return False
    return not (excludes.get("minKernel") and _kernel_at_least(kernel, excludes["minKernel"]))


def _oci_rule(rule: dict[str, Any]) -> dict[str, Any]:
    names = rule["names"] if "names" in rule else [rule["name"]]  # old profiles name one
    oci: dict[str, Any] = {"names": list(names), "action": rule["action"]}
    if rule.get("errnoRet") is not None:
        oci["errnoRet"] = rule["errnoRet"]
    if rule.get("args"):
        oci["args"] = [
            {key: arg[key] for key in ("index", "value", "valueTwo", "op") if key in arg}
            for arg in rule["args"]
        ]
    return oci


@cache
def load_default_profile() -> dict[str, Any]:
    """Moby's default profile as shipped beside this module (read once)."""
    loaded: dict[str, Any] = json.loads(DEFAULT_PROFILE_PATH.read_text())
    return loaded


def host_goarch() -> str:
    """This machine's architecture in Go's naming (``amd64`` on x86-64)."""
    machine = platform.machine()
    return _GOARCH.get(machine, machine)


def host_kernel() -> tuple[int, int]:
    """This kernel's (major, minor) release numbers."""
    major, minor, *_ = (os.uname().release.split("-")[0] + ".0").split(".")
    return int(major), int(minor)


def default_seccomp(capabilities: Sequence[str]) -> dict[str, Any]:
    """Docker's default seccomp filter for a container with ``capabilities`` on this host."""
    return compile_profile(
        load_default_profile(),
        goarch=host_goarch(),
        capabilities=capabilities,
        kernel=host_kernel(),
    )


@cache
def default_seccomp_for(capabilities: tuple[str, ...]) -> dict[str, Any]:
    """default_seccomp, compiled once per set of capabilities (most containers share one)."""
    return default_seccomp(capabilities)


def custom_seccomp(profile: dict[str, Any], capabilities: Sequence[str]) -> dict[str, Any]:
    """A user's profile (`--security-opt seccomp=<file>`, moby's format) for this host."""
    return compile_profile(profile, goarch=host_goarch(), capabilities=capabilities,
                           kernel=host_kernel())  # fmt: skip
