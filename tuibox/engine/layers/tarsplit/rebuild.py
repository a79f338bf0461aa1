"""The exact tar stream of an unpacked layer, from its tar-split file and its files."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.layers.rooted import RootedDir
from tuibox.engine.layers.tarsplit.record import ORPHANS_DIR, Payload, read_records

_CHUNK = 1024 * 1024
_ORPHAN_PREFIX = f"../{ORPHANS_DIR}/"
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


def layer_tar_chunks(layer_dir: Path) -> Generator[bytes, None, None]:
    """The layer's tar stream as it was pulled, byte for byte (its sha256 is the diff ID;
    the caller checks it). Files are opened below `diff/` without following symlinks.

    Raises:
        FileNotFoundError: the layer has no tar-split file.
        RuntimeFailure: a file changed size since it was unpacked (the layer is damaged).
        InvalidArgument: the tar-split file is corrupt.
    """
    with RootedDir(str(layer_dir / "diff")) as diff, RootedDir(str(layer_dir)) as layer:
        for record in read_records(layer_dir):
            if isinstance(record, Payload):
                yield from _payload(diff, layer, layer_dir, record)
            else:
                yield record


def _payload(
    diff: RootedDir, layer: RootedDir, layer_dir: Path, record: Payload
) -> Iterator[bytes]:
    if record.path.startswith(_ORPHAN_PREFIX):
        root, parts = layer, [ORPHANS_DIR, record.path.removeprefix(_ORPHAN_PREFIX)]
    else:
        root, parts = diff, record.path.split("/")
    try:
        parent = root.open_dir(parts[:-1], create=False, entry=record.path)
    except InvalidArgument as err:
        raise RuntimeFailure(f"layer {layer_dir.name} is damaged: {err}") from None
    try:
        fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=parent)
    except OSError as err:
        raise RuntimeFailure(
            f"layer {layer_dir.name} is damaged: cannot read {record.path}: {err.strerror}"
        ) from None
    finally:
        os.close(parent)
    try:
        left = record.size
        while left:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
        if left or os.read(fd, 1):
            raise RuntimeFailure(
                f"layer {layer_dir.name} is damaged: {record.path} changed size since it was "
                "unpacked"
            )
    finally:
        os.close(fd)
