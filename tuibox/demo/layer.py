"""Builds deterministic gzip layer tarballs from an in-memory list of entries."""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
from dataclasses import dataclass
from typing import Literal

FIXED_MTIME = 1704067200  # 2024-01-01T00:00:00Z: every entry and the config share it
FIXED_CREATED = "2024-01-01T00:00:00Z"

EntryKind = Literal["dir", "file", "symlink"]


@dataclass(frozen=True)
class LayerEntry:
    """One path in a layer: a directory, a regular file or a symbolic link."""

    path: str
    kind: EntryKind
    mode: int = 0o755
    data: bytes = b""
    link_target: str = ""


@dataclass(frozen=True)
class Layer:
    """A built layer: the gzip blob pushed to registries and the digest of the plain tar."""

    compressed: bytes
    uncompressed_digest: str

    @property
    def digest(self) -> str:
        """The sha256 digest of the compressed blob, as manifests reference it."""
        return sha256_digest(self.compressed)

    @property
    def size(self) -> int:
        """The size in bytes of the compressed blob."""
        return len(self.compressed)


def sha256_digest(data: bytes) -> str:
    """Return the OCI digest string (``sha256:<hex>``) of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dir_entry(path: str, mode: int = 0o755) -> LayerEntry:
    """Return a directory entry."""
    return LayerEntry(path=path, kind="dir", mode=mode)


def file_entry(path: str, data: bytes, mode: int = 0o644) -> LayerEntry:
    """Return a regular-file entry holding ``data``."""
    return LayerEntry(path=path, kind="file", mode=mode, data=data)


def relative_symlink(path: str, target: str) -> LayerEntry:
    """Return a symlink at ``path`` pointing at the layer path ``target`` by a relative link.

    Relative links stay inside the rootfs under any resolution policy, which keeps
    strict unpackers (ours included) happy.
    """
    relative = posixpath.relpath(target, posixpath.dirname(path) or ".")
    return LayerEntry(path=path, kind="symlink", mode=0o777, link_target=relative)


def build_tar(entries: list[LayerEntry]) -> bytes:
    """Return an uncompressed tar of ``entries``: sorted, owned by root, fixed mtimes.

    Raises:
        ValueError: an entry path is absolute, holds ``..`` or appears twice.
    """
    seen: set[str] = set()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(entries, key=lambda e: e.path):
            _check_path(entry.path, seen)
            info = _tar_info(entry)
            tar.addfile(info, io.BytesIO(entry.data) if entry.kind == "file" else None)
    return buffer.getvalue()


def build_layer(entries: list[LayerEntry]) -> Layer:
    """Return the gzip layer of ``entries`` with the digest of its uncompressed tar."""
    plain = build_tar(entries)
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as gz:
        gz.write(plain)
    return Layer(compressed=compressed.getvalue(), uncompressed_digest=sha256_digest(plain))


def _check_path(path: str, seen: set[str]) -> None:
    parts = path.split("/")
    if path.startswith("/") or not path or ".." in parts or "" in parts:
        raise ValueError(f"layer entry path {path!r} must be relative and normalized")
    if path in seen:
        raise ValueError(f"layer entry path {path!r} appears twice")
    seen.add(path)


def _tar_info(entry: LayerEntry) -> tarfile.TarInfo:
    name = entry.path + "/" if entry.kind == "dir" else entry.path
    info = tarfile.TarInfo(name)
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = entry.mode
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.link_target
    else:
        info.type = tarfile.REGTYPE
        info.size = len(entry.data)
    return info
