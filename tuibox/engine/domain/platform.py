"""Platforms (os/architecture/variant) in the OCI/Go spelling that image configs and indexes use."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument, NotFound

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


KNOWN_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows",
})  # fmt: skip
KNOWN_ARCHITECTURES = frozenset({
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64",
    "ppc64le", "riscv64", "s390x", "wasm",
})  # fmt: skip
_PART = re.compile(r"[a-z0-9_.-]{1,32}", re.ASCII)
_DEFAULT_VARIANTS = {("arm64", "v8"), ("amd64", "v1")}


@dataclass(frozen=True)
class Platform:
    """An OCI platform such as linux/amd64 or linux/arm/v7."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)


def host_platform() -> Platform:
    """The platform of this host's containers."""
    return Platform("linux", go_arch())


def parse_platform(text: str) -> Platform:
    """Read `os[/arch[/variant]]` or a bare architecture, normalised as Docker does.

    `linux/x86_64` is linux/amd64, `arm64` alone is linux/arm64, and the default variants
    (arm64/v8, amd64/v1) are dropped.

    Raises:
        InvalidArgument: naming the platform, when it has more than three parts or a part
            that is empty or not a name.
    """
    parts = text.strip().lower().split("/")
    if len(parts) > 3 or not all(_PART.fullmatch(p) for p in parts):
        raise InvalidArgument(
            f"invalid platform {text[:64]!r}: expected os[/architecture[/variant]]"
        )
    if len(parts) == 1:
        parts = [parts[0], go_arch()] if parts[0] in KNOWN_OS else ["linux", parts[0]]
    os_name, arch = parts[0], go_arch(parts[1])
    if os_name not in KNOWN_OS or arch not in KNOWN_ARCHITECTURES:
        raise InvalidArgument(
            f"invalid platform {text[:64]!r}: unknown operating system or architecture"
        )
    variant = parts[2] if len(parts) == 3 else ""
    if (arch, variant) in _DEFAULT_VARIANTS:
        variant = ""
    return Platform(os_name, arch, variant)


def require_linux(platform_: Platform) -> Platform:
    """Refuse a platform whose containers this Linux engine cannot run.

    Raises:
        InvalidArgument: the operating system is not linux.
    """
    if platform_.os != "linux":
        raise InvalidArgument(
            f"operating system {platform_.os!r} is not supported: this engine runs linux "
            f"containers (platform {platform_})"
        )
    return platform_


def check_image_platform(reference: str, config: dict[str, Any], wanted: Platform) -> None:
    """Refuse an image (its config: os, architecture, variant) made for another platform
    than the one asked for, as dockerd does.

    Raises:
        NotFound: "image with reference X was found but does not match the specified
            platform: wanted linux/arm64, actual: linux/amd64".
    """
    actual = Platform(
        str(config.get("os") or "linux"),
        parse_platform(str(config.get("architecture") or "amd64")).architecture,
        str(config.get("variant") or ""),
    )
    variant_differs = bool(wanted.variant) and wanted.variant != actual.variant
    if (wanted.os, wanted.architecture) != (actual.os, actual.architecture) or variant_differs:
        raise NotFound(
            f"image with reference {reference} was found but does not match the specified "
            f"platform: wanted {wanted}, actual: {actual}"
        )
