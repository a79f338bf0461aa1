"""Reading a docker-archive tar as it arrives: its files spooled to disk, its manifest parsed.

Both layouts a docker save writes are read: Docker 25's OCI layout (`blobs/sha256/<hex>`)
and the legacy one (`<hex>.json` configs, `<id>/layer.tar` layers, identical layers as
symlinks to another `<id>/layer.tar`). Only `manifest.json` says which entry is what, and
it may come last, so every regular file goes to its own file in the spool directory while
the stream is read (nothing held in memory but headers); a gzip-compressed archive is
undone on the way. The tar's headers are parsed by the layer unpacker's bounded reader.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.layers.tar_stream import READ_CHUNK, HashingReader, open_tar_stream

MAX_ARCHIVE_BYTES = 64 * 1024**3
MAX_ENTRIES = 100_000
MAX_JSON_BYTES = 8 * 1024 * 1024
MAX_LINK_HOPS = 16
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_MAGICS = {b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


@dataclass
class SpooledArchive:
    """The archive's regular files on disk, by normalised name, and its links."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """The spooled file an entry name denotes, following the archive's own links.

        Raises:
            InvalidArgument: no such file in the archive, or a link loop.
        """
        wanted = _normalise(name)
        for _hop in range(MAX_LINK_HOPS):
            if wanted in self.files:
                return self.files[wanted]
            if wanted not in self.links:
                raise InvalidArgument(f"invalid archive: {name[:200]} is not in the archive")
            wanted = self.links[wanted]
        raise InvalidArgument(f"invalid archive: {name[:200]} is a link loop")

    def read_json(self, name: str) -> Any:
        """A small JSON file of the archive, parsed.

        Raises:
            InvalidArgument: missing, too large or not JSON.
        """
        path = self.path(name)
        if path.stat().st_size > MAX_JSON_BYTES:
            raise InvalidArgument(f"invalid archive: {name[:200]} is larger than {MAX_JSON_BYTES}")
        try:
            return json.loads(path.read_bytes())
        except (ValueError, RecursionError):
            raise InvalidArgument(f"invalid archive: {name[:200]} is not valid JSON") from None


@dataclass(frozen=True)
class ManifestEntry:
    """One image of manifest.json: its config, tags and layer files, bottom first."""

    config: str
    repo_tags: tuple[Reference, ...]
    layers: tuple[str, ...]


class _PeekReader:
    """A non-seekable stream whose first bytes can be looked at before reading."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._head = b""

    def peek(self, size: int) -> bytes:
        while len(self._head) < size:
            more = self._source.read(size - len(self._head))
            if not more:
                break
            self._head += more
        return self._head

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._source.read(size)
        cut = len(self._head) if size is None or size < 0 else size
        data, self._head = self._head[:cut], self._head[cut:]
        return data


def spool_archive(stream: BinaryIO, root: Path) -> SpooledArchive:
    """Read the whole archive from `stream` into files under the empty directory `root`.

    Raises:
        InvalidArgument: not a tar, a truncated one, an unsafe name, or past the caps.
    """
    peek = _PeekReader(stream)
    head = peek.peek(6)
    if not head:
        raise InvalidArgument("invalid archive: the request body is empty; send a tar stream")
    for magic, kind in _OTHER_MAGICS.items():
        if head.startswith(magic):
            raise InvalidArgument(f"{kind}-compressed archives are not supported; send it plain "
                                  "or gzip-compressed")  # fmt: skip
    gzipped = head.startswith(_GZIP_MAGIC)
    source: Any = gzip.GzipFile(fileobj=peek, mode="rb") if gzipped else peek  # type: ignore[call-overload]
    reader = HashingReader(source, MAX_ARCHIVE_BYTES)
    archive = SpooledArchive(root)
    try:
        with open_tar_stream(reader) as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_ENTRIES:
                    raise InvalidArgument(f"invalid archive: more than {MAX_ENTRIES} entries")
                _take(archive, tar, member, count)
        reader.drain()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as err:
        raise InvalidArgument(f"invalid archive: not a complete tar stream: {err}") from None
    return archive


def _take(archive: SpooledArchive, tar: tarfile.TarFile, member: tarfile.TarInfo,
          count: int) -> None:  # fmt: skip
    name = _normalise(member.name)
    if member.isreg():
        target = archive.root / str(count)
        source = tar.extractfile(member)
        assert source is not None  # a regular member always has a stream
        with target.open("wb") as sink:
            while chunk := source.read(READ_CHUNK):
                sink.write(chunk)
        archive.files[name] = target
    elif member.issym():
        linked = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or linked == ".." or linked.startswith("../"):
            raise InvalidArgument(f"invalid archive: {name[:200]} links outside the archive")
        archive.links[name] = linked
    elif member.islnk():
        archive.links[name] = _normalise(member.linkname)


def _normalise(name: str) -> str:
    """An entry name relative to the archive's root; anything that leaves it is refused."""
    cleaned = posixpath.normpath("/" + name.lstrip("/")).lstrip("/")
    if ".." in name.split("/") or name.startswith("/") or "\x00" in name:
        raise InvalidArgument(f"invalid archive: entry {name[:200]!r} leaves the archive")
    return cleaned


def parse_manifest(archive: SpooledArchive) -> list[ManifestEntry]:
    """manifest.json's images, their tags parsed and checked.

    Raises:
        InvalidArgument: no manifest.json (not an image archive), or a malformed one.
    """
    if "manifest.json" not in archive.files:
        raise InvalidArgument(
            "invalid archive: no manifest.json in it; this is not a docker save image archive"
        )
    document = archive.read_json("manifest.json")
    if not isinstance(document, list) or not document:
        raise InvalidArgument("invalid archive: manifest.json is not a non-empty list of images")
    return [_entry(item) for item in document]


def _entry(item: Any) -> ManifestEntry:
    if not isinstance(item, dict):
        raise InvalidArgument("invalid archive: a manifest.json entry is not an object")
    config, layers, tags = item.get("Config"), item.get("Layers"), item.get("RepoTags") or []
    if not isinstance(config, str) or not config:
        raise InvalidArgument("invalid archive: a manifest.json entry has no Config")
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise InvalidArgument("invalid archive: a manifest.json entry's Layers is not a list")
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        raise InvalidArgument("invalid archive: a manifest.json entry's RepoTags is not a list")
    if item.get("LayerSources"):
        raise InvalidArgument("invalid archive: foreign layers (LayerSources) are not supported")
    return ManifestEntry(config, tuple(_tag(t) for t in tags), tuple(layers))


def _tag(text: str) -> Reference:
    reference = parse_reference(text, default_tag=False)
    if reference.digest is not None or reference.tag is None:
        raise InvalidArgument(f"invalid archive: RepoTags entry {text[:200]!r} is not name:tag")
    return reference

