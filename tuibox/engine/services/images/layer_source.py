"""The uncompressed tar of one image layer, whose sha256 is its DiffID: what save and push send.

One function, `layer_tar_source`, decides where the bytes come from. First a layer blob
kept in the content store (what older pulls kept, or the tar a `docker load` brought),
decompressed on the fly; any image holding the same DiffID may lend its blob. Then the
layer's tar-split (layers/tarsplit: what a pull keeps instead of the blob), which rebuilds
the pulled tar byte for byte from its headers and the unpacked files. Else the tar is written
again from the unpacked layer dir by the writer `docker commit` made it with
(layers/tree_tar.write_layer: sorted walk, numeric owners, whole-second mtimes, overlay
whiteouts back to `.wh.` entries), so a committed layer comes out byte for byte. An
imported one (`docker import` of a foreign tar) does not, and the DiffID check says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.tar_stream import open_decompressed
from tuibox.engine.layers.tarsplit.rebuild import layer_tar_chunks
from tuibox.engine.layers.tarsplit.record import has_split
from tuibox.engine.layers.tree_tar import write_layer
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

Stores = tuple[ContentStore, LayerStore, ImageStore]


class Readable(Protocol):
    """What a layer's bytes are read from."""

    def read(self, size: int = -1, /) -> bytes: ...


class LayerMismatch(InvalidArgument):
    """The layer's tar does not hash to its DiffID: it cannot be sent as that layer."""


class VerifiedLayer:
    """A read-only stream that hashes what it hands out and checks the DiffID at its end.

    Raises (from `read`):
        LayerMismatch: the stream ended and its sha256 is not `diff_id`.
    """

    def __init__(self, source: Readable, diff_id: str, origin: str) -> None:
        self._source = source
        self.diff_id = diff_id
        self.origin = origin
        self._hash = hashlib.sha256()
        self.size = 0
        self._checked = False

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self._hash.update(data)
            self.size += len(data)
        elif not self._checked:
            self._checked = True
            actual = "sha256:" + self._hash.hexdigest()
            if actual != self.diff_id:
                raise LayerMismatch(
                    f"layer {self.diff_id} cannot be reproduced: its tar {self.origin} "
                    f"hashes to {actual}"
                )
        return data


def find_layer_blob(
    stores: Stores, diff_id: str, preferred: ImageRecord | None = None
) -> str | None:
    """The digest of a stored blob that unpacks to `diff_id`, `preferred`'s own first."""
    content, _layers, images = stores
    for record in [*([preferred] if preferred else []), *images.all()]:
        pairs = zip(record.diff_ids, record.layer_digests, strict=False)
        for candidate_diff, blob in pairs:
            if candidate_diff == diff_id and content.has(blob):
                return blob
    return None


@contextlib.contextmanager
def layer_tar_source(stores: Stores, record: ImageRecord, index: int) -> Iterator[VerifiedLayer]:
    """The uncompressed tar of `record`'s layer `index` (bottom first), DiffID-checked.

    Raises:
        NotFound: neither a blob nor the unpacked layer is there any more.
        LayerMismatch: (while reading) the bytes do not hash to the layer's DiffID.
    """
    content, layers, _images = stores
    diff_id = record.diff_ids[index]
    blob = find_layer_blob(stores, diff_id, record)
    if blob is not None:
        with content.path(blob).open("rb") as raw:
            yield VerifiedLayer(open_decompressed(raw), diff_id, f"from blob {blob}")
        return
    chain_id = record.chain_ids[index]
    if not layers.has(chain_id):
        raise NotFound(f"layer {diff_id} of image {record.id} is missing from the layer store")
    layer_dir = layers.layer_path(chain_id)
    if has_split(layer_dir):
        chunks = layer_tar_chunks(layer_dir)
        try:
            yield VerifiedLayer(_ChunkReader(chunks), diff_id, "rebuilt from its tar-split")
        finally:
            chunks.close()
        return
    with _regenerated(layers, chain_id) as stream:
        yield VerifiedLayer(stream, diff_id, "written again from its unpacked files")


@contextlib.contextmanager
def _regenerated(layers: LayerStore, chain_id: str) -> Iterator[Readable]:
    """write_layer of the layer dir, run by a thread into a pipe that the caller reads."""
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                write_layer(pipe, layers.diff_dir(chain_id))
        except BrokenPipeError:
            pass  # the reader stopped early
        except BaseException as err:
            failure.append(err)

    thread = threading.Thread(target=run, name="layer-tar", daemon=True)
    thread.start()
    reader = _FailingReader(os.fdopen(read_fd, "rb"), failure)
    try:
        yield reader
    finally:
        reader.close()
        thread.join()


class _ChunkReader:
    """read() over an iterator of byte chunks: `size` bytes exactly unless the end comes
    first (tarfile's copy calls a short read the end of the data)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def read(self, size: int = -1) -> bytes:
        parts = [self._left]
        have = len(self._left)
        while size < 0 or have < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        if 0 <= size < len(data):
            data, self._left = data[:size], data[size:]
        else:
            self._left = b""
        return data


class _FailingReader:
    """The pipe's read side; the writer thread's error surfaces at the end of the stream."""

    def __init__(self, pipe: BinaryIO, failure: list[BaseException]) -> None:
        self._pipe = pipe
        self._failure = failure

    def read(self, size: int = -1) -> bytes:
        data = self._pipe.read(size)
        if not data and self._failure:
            raise InvalidArgument(f"layer tar could not be written: {self._failure[0]}")
        return data

    def close(self) -> None:
        self._pipe.close()
