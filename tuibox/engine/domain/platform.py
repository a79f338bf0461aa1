"""The host's architecture in the OCI/Go spelling that image configs and indexes use."""

from __future__ import annotations

import platform

GO_ARCH = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "armv7l": "arm",
    "armhf": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def go_arch(machine: str | None = None) -> str:
    """GOARCH for a `uname -m` value (the host's by default): x86_64 -> amd64."""
    raw = (machine or platform.machine()).lower()
    return GO_ARCH.get(raw, raw)
