"""Builds the demo `busybox` and `hello-world` images from Debian's busybox-static."""

from __future__ import annotations

import functools
import json
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tuibox.demo.greeting import HELLO_SCRIPT
from tuibox.demo.layer import (
    FIXED_CREATED,
    Layer,
    LayerEntry,
    build_layer,
    dir_entry,
    file_entry,
    relative_symlink,
    sha256_digest,
)
from tuibox.engine.domain.platform import go_arch

ManifestFormat = Literal["docker", "oci"]

BUSYBOX_PATH = Path("/bin/busybox")
DEFAULT_ENV = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
MEDIA_TYPES: dict[ManifestFormat, dict[str, str]] = {
    "docker": {
        "manifest": "application/vnd.docker.distribution.manifest.v2+json",
        "config": "application/vnd.docker.container.image.v1+json",
        "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    },
    "oci": {
        "manifest": "application/vnd.oci.image.manifest.v1+json",
        "config": "application/vnd.oci.image.config.v1+json",
        "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
    },
}
_ROOT_DIRS = ("bin", "dev", "etc", "home", "proc", "sbin", "sys", "usr", "usr/bin",
              "usr/sbin", "var")
_PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
_GROUP = b"root:x:0:\nnogroup:x:65534:\n"


class DemoImageError(Exception):
    """The demo images cannot be built on this host; the text says what to install."""


@dataclass(frozen=True)
class Blob:
    """Bytes as a registry stores them, with their media type."""

    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        """The sha256 digest of the bytes."""
        return sha256_digest(self.data)

    @property
    def size(self) -> int:
        """The length of the bytes."""
        return len(self.data)


@dataclass(frozen=True)
class BuiltImage:
    """One demo image ready to push: layers, config and manifest as exact bytes."""

    name: str
    tag: str
    layers: tuple[Blob, ...]
    diff_ids: tuple[str, ...]
    config: Blob
    manifest: Blob

    @property
    def repository(self) -> str:
        """The Docker Hub repository path the image stands in for (``library/<name>``)."""
        return f"library/{self.name}"

    @property
    def image_id(self) -> str:
        """The image ID an engine reports: the digest of the config bytes."""
        return self.config.digest


def build_demo_images(
    arch: str | None = None, manifest_format: ManifestFormat = "docker"
) -> list[BuiltImage]:
    """Build `hello-world` and `busybox` from /bin/busybox (cached per process).

    Args:
        arch: the config's architecture; the host's (as Go names it) by default.
        manifest_format: Docker schema2 or OCI media types.

    Returns:
        The images `hello-world` and `busybox`, both tagged `latest`.

    Raises:
        DemoImageError: /bin/busybox is missing or not statically linked.
    """
    return list(_build_cached(arch or go_arch(), manifest_format, BUSYBOX_PATH))


@functools.lru_cache(maxsize=4)
def _build_cached(arch: str, fmt: ManifestFormat, busybox: Path) -> tuple[BuiltImage, ...]:
    binary = read_static_busybox(busybox)
    applets = list_applets(busybox)
    hello = _assemble("hello-world", ["/hello"], hello_world_entries(binary), arch, fmt)
    box = _assemble("busybox", ["sh"], busybox_entries(binary, applets), arch, fmt)
    return (hello, box)


def read_static_busybox(path: Path = BUSYBOX_PATH) -> bytes:
    """Return the bytes of a statically linked busybox binary.

    Raises:
        DemoImageError: the file is missing or is a dynamically linked ELF.
    """
    try:
        binary = path.read_bytes()
    except OSError as err:
        raise DemoImageError(
            f"{path} is missing ({err.strerror}); install it with: apt-get install busybox-static"
        ) from err
    if not is_static_elf(binary):
        raise DemoImageError(
            f"{path} is not a static ELF binary; install Debian's busybox-static "
            "(apt-get install busybox-static), which replaces the dynamic busybox"
        )
    return binary


def is_static_elf(binary: bytes) -> bool:
    """Tell whether ``binary`` is a 64- or 32-bit ELF without a PT_INTERP program header."""
    if binary[:4] != b"\x7fELF" or len(binary) < 64:
        return False
    is_64 = binary[4] == 2
    endian = "<" if binary[5] == 1 else ">"
    if is_64:
        (phoff,) = struct.unpack_from(endian + "Q", binary, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", binary, 0x36)
    else:
        (phoff,) = struct.unpack_from(endian + "I", binary, 0x1C)
        phentsize, phnum = struct.unpack_from(endian + "HH", binary, 0x2A)
    for index in range(phnum):
        (p_type,) = struct.unpack_from(endian + "I", binary, phoff + index * phentsize)
        if p_type == 3:  # PT_INTERP: needs a dynamic loader the image does not have
            return False
    return True


def list_applets(path: Path = BUSYBOX_PATH) -> list[str]:
    """Return busybox's applet install paths (``bin/sh``, ``usr/bin/awk`` ...), sorted."""
    result = subprocess.run(
        [str(path), "--list-full"], capture_output=True, text=True, check=False, timeout=10
    )
    if result.returncode != 0:
        raise DemoImageError(f"{path} --list-full failed: {result.stderr.strip()}")
    paths = {line.strip().lstrip("/") for line in result.stdout.splitlines()}
    return sorted(p for p in paths if "/" in p and p != "bin/busybox" and ".." not in p)


def busybox_entries(binary: bytes, applets: list[str]) -> list[LayerEntry]:
    """Return the `busybox` rootfs: the binary, one link per applet, /etc basics, empty dirs."""
    entries = [dir_entry(d) for d in _ROOT_DIRS]
    entries += [dir_entry("root", 0o700), dir_entry("tmp", 0o1777)]
    entries += [file_entry("etc/passwd", _PASSWD), file_entry("etc/group", _GROUP)]
    entries.append(file_entry("bin/busybox", binary, 0o755))
    entries += [relative_symlink(applet, "bin/busybox") for applet in applets]
    return entries


def hello_world_entries(binary: bytes) -> list[LayerEntry]:
    """Return the `hello-world` rootfs: busybox as /bin/sh and /bin/cat, and the /hello script."""
    entries = [dir_entry(d) for d in ("bin", "dev", "etc", "proc", "sys")]
    entries.append(dir_entry("tmp", 0o1777))
    entries.append(file_entry("bin/busybox", binary, 0o755))
    entries += [relative_symlink(p, "bin/busybox") for p in ("bin/sh", "bin/cat")]
    entries.append(file_entry("hello", HELLO_SCRIPT.encode(), 0o755))
    return entries


def _assemble(
    name: str, cmd: list[str], entries: list[LayerEntry], arch: str, fmt: ManifestFormat
) -> BuiltImage:
    layer = build_layer(entries)
    types = MEDIA_TYPES[fmt]
    config = Blob(types["config"], _json_bytes(_config_document(name, cmd, layer, arch)))
    layer_blob = Blob(types["layer"], layer.compressed)
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": types["manifest"],
        "config": _descriptor(config),
        "layers": [_descriptor(layer_blob)],
    }
    manifest = Blob(types["manifest"], _json_bytes(manifest_doc))
    return BuiltImage(name, "latest", (layer_blob,), (layer.uncompressed_digest,), config, manifest)


def _config_document(name: str, cmd: list[str], layer: Layer, arch: str) -> dict[str, object]:
    return {
        "architecture": arch,
        "os": "linux",
        "created": FIXED_CREATED,
        "config": {"Cmd": cmd, "Env": list(DEFAULT_ENV), "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [layer.uncompressed_digest]},
        "history": [{"created": FIXED_CREATED,
                     "created_by": f"tuibox demo: {name} from Debian busybox-static"}],
    }


def _descriptor(blob: Blob) -> dict[str, object]:
    return {"mediaType": blob.media_type, "size": blob.size, "digest": blob.digest}


def _json_bytes(document: dict[str, object]) -> bytes:
    return json.dumps(document, indent=2, sort_keys=False).encode() + b"\n"
