"""Crafted layers, one per extraction attack in oci-security.md section 2, pulled for real.

Each image is a good layer plus a crafted one, pulled through ImageService over the fake
registry (the real pull, ingest and unpacker). A refused layer refuses the whole pull and
leaves the store exactly as it was, and nothing outside the data root is touched.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import EngineError
from tuibox.engine.services.images.service import ImageService

MIRROR = "http://mirror:5000"
Member = tuple[tarfile.TarInfo, bytes | None]


def tar_of(*members: Member, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, data: bytes | None = None,
          **fields: object) -> Member:  # fmt: skip
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, 0o644, 1_700_000_000
    for key, value in fields.items():
        setattr(info, key, value)
    if kind == tarfile.REGTYPE and data is None:
        data = b"payload"
    return info, data


def stored(data_root: Path) -> dict[str, list[str]]:
    """Everything the store holds, by area (layer dirs, staging dirs included)."""
    found: dict[str, list[str]] = {}
    for area in ("layers", "images", "content"):
        root = data_root / area
        paths = root.rglob("*") if root.exists() else []
        found[area] = sorted(str(p.relative_to(root)) for p in paths)
    return found


@pytest.fixture
async def pull(tmp_path: Path) -> AsyncIterator[Callable[[bytes], object]]:
    registry = FakeRegistry()
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())

    async def pull_layer(crafted: bytes) -> object:
        registry.add("library/crafted", "latest",
                     build_image([{"etc/ok": b"fine"}, crafted], cmd=["sh"]))  # fmt: skip
        return [m async for m in images.pull("crafted", None, None)]

    yield pull_layer
    await images.aclose()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the data root that the crafted layers aim at."""
    target = tmp_path / "outside"
    target.mkdir()
    (target / "victim").write_bytes(b"untouched")
    (target / "victim").chmod(0o600)
    return target


def attacks(outside: Path) -> dict[str, tuple[bytes, str]]:
    victim = str(outside / "victim")
    return {
        # CVE-2014-6407, CVE-2014-9356: a symlink planted, then written through
        "write through an absolute symlink": (tar_of(
            entry("evil", tarfile.SYMTYPE, linkname=str(outside)),
            entry("evil/pwned")), "traverses the symlink evil"),
        "write through a relative symlink": (tar_of(
            entry("evil", tarfile.SYMTYPE, linkname="../../../../../../.."),
            entry("evil/tmp/pwned")), "traverses the symlink evil"),
        # the breakout names moby rejects
        "dot-dot name": (tar_of(entry("../../pwned")), "'..' would leave the layer"),
        "absolute name": (tar_of(entry(victim)), "absolute paths are not allowed"),
        # hard links out of the layer, directly or through a symlink
        "hard link out": (tar_of(entry("h", tarfile.LNKTYPE, linkname="../../../etc/passwd")),
                          "escapes the layer"),
        "hard link through a symlink": (tar_of(
            entry("s", tarfile.SYMTYPE, linkname=str(outside)),
            entry("h", tarfile.LNKTYPE, linkname="s/victim")), "traverses the symlink s"),
        # CVE-2021-29136 (umoci): a whiteout applied through a symlinked parent
        "whiteout through a symlink": (tar_of(
            entry("d", tarfile.SYMTYPE, linkname=str(outside)),
            entry("d/.wh.victim", data=b"")), "traverses the symlink d"),
        # device nodes give a container the host's disks
        "block device": (tar_of(entry("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)),
                         "device nodes are not allowed"),
        # CVE-2024-40635: an id past the kernel's range must not wrap to root
        "uid out of range": (tar_of(entry("big", uid=2**40)), "uid 1099511627776 is out of range"),
        # Go CVE-2022-2879 / CPython CVE-2024-6232: headers that eat memory or time
        "huge pax header": (tar_of(entry("p", pax_headers={"comment": "x" * 200_000}),
                                   fmt=tarfile.PAX_FORMAT), "header too large"),
        # holes would bypass the byte count
        "sparse file": (tar_of(entry("s", tarfile.GNUTYPE_SPARSE)),
                        "sparse files are not supported"),
        # unknown typeflags are an error (image spec)
        "unknown entry type": (tar_of(entry("c", b"Z", data=b"")), "unsupported tar entry type"),
        # a stream that is not a tar at all
        "not a tar": (b"\x01" * 2048, "not a valid tar stream"),
    }  # fmt: skip


ATTACK_NAMES = list(attacks(Path("/nonexistent")))


@pytest.mark.parametrize("name", ATTACK_NAMES)
async def test_a_crafted_layer_refuses_the_pull_and_leaves_nothing(
    name: str, pull: Callable[[bytes], object], outside: Path, tmp_path: Path
) -> None:
    crafted, words = attacks(outside)[name]
    before = stored(tmp_path / "data")
    with pytest.raises(EngineError) as caught:
        await pull(crafted)  # type: ignore[misc]
    assert words in str(caught.value)
    assert stored(tmp_path / "data") == before
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_bytes() == b"untouched"


async def test_a_symlink_replaced_by_a_directory_never_changes_its_target(
    pull: Callable[[bytes], object], outside: Path
) -> None:
    """CVE-2021-32760 (containerd chmod'ed host files through a symlink): the entry
    replaces the link; the file it pointed at keeps its mode."""
    await pull(tar_of(  # type: ignore[misc]
        entry("x", tarfile.SYMTYPE, linkname=str(outside / "victim")),
        entry("x", tarfile.DIRTYPE, mode=0o4777),
    ))
    assert stat.S_IMODE(os.stat(outside / "victim").st_mode) == 0o600


async def test_setuid_bits_and_file_capabilities_are_kept(
    pull: Callable[[bytes], object], tmp_path: Path
) -> None:
    """The stated policy: a layer's setuid/setgid bits and security.capability stay (a
    container image needs them, as Docker keeps them); the store is 0700 so host users
    cannot reach them (CVE-2021-41091)."""
    capability = "\x01\x00\x00\x02" + "\x00\x20\x00\x00" + "\x00" * 12  # cap_net_bind_service
    await pull(tar_of(  # type: ignore[misc]
        entry("bin/ping", mode=0o4755),
        entry("bin/tool", pax_headers={"SCHILY.xattr.security.capability": capability}),
        fmt=tarfile.PAX_FORMAT,
    ))
    layers = tmp_path / "data/layers"
    assert stat.S_IMODE(layers.stat().st_mode) == 0o700
    (ping,) = layers.glob("*/diff/bin/ping")
    assert stat.S_IMODE(ping.stat().st_mode) == 0o4755
    (tool,) = layers.glob("*/diff/bin/tool")
    assert os.getxattr(tool, "security.capability")[:4] == b"\x01\x00\x00\x02"
