"""Content-addressed blob store: content/sha256/<hex>, verified before it becomes visible."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.reference import is_sha256_digest, validate_digest


class DigestMismatch(InvalidArgument):
    """Received bytes do not hash to the digest (or size) they were announced with."""


class BlobWriter:
    """Writes one blob to a temporary file while hashing it; `commit` makes it visible.

    Lifecycle: create through `ContentStore.writer`, `write` chunks, then `commit` with the
    expected digest. A wrong digest or size removes the temporary file and raises; leaving
    the `with` block without a commit discards everything.
    """

    def __init__(self, store: ContentStore, max_size: int | None) -> None:
        self._store = store
        self._max_size = max_size
        self._hash = hashlib.sha256()
        self.size = 0
        fd, name = tempfile.mkstemp(prefix="ingest-", dir=store.ingest_dir)
        self._file = os.fdopen(fd, "wb")
        self._path = Path(name)
        self._done = False

    def write(self, chunk: bytes) -> None:
        """Append `chunk`; more bytes than `max_size` abort the write.

        Raises:
            DigestMismatch: the blob grew past the size it was announced with.
        """
        self.size += len(chunk)
        if self._max_size is not None and self.size > self._max_size:
            self.discard()
            raise DigestMismatch(f"blob is larger than the announced {self._max_size} bytes")
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def commit(self, expected_digest: str | None = None, expected_size: int | None = None) -> str:
        """Verify and move the blob into place; returns its digest.

        Raises:
            DigestMismatch: the content does not match `expected_digest` or `expected_size`.
        """
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        actual = self.digest
        if expected_digest is not None and actual != expected_digest:
            self.discard()
            raise DigestMismatch(
                f"digest mismatch: expected {expected_digest}, content hashes to {actual}"
            )
        if expected_size is not None and self.size != expected_size:
            self.discard()
            raise DigestMismatch(
                f"size mismatch for {actual}: expected {expected_size} bytes, got {self.size}"
            )
        target = self._store.path(actual)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self._path, 0o444)
        os.replace(self._path, target)
        self._done = True
        return actual

    def discard(self) -> None:
        """Drop the temporary file; safe to call twice."""
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done:
            self.discard()


class ContentStore:
    """Blobs under <root>/sha256/<hex>; temporary ingests under <root>/ingest/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ingest_dir = root / "ingest"
        (root / "sha256").mkdir(parents=True, exist_ok=True)
        self.ingest_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.ingest_dir.iterdir():
            stale.unlink(missing_ok=True)

    def path(self, digest: str) -> Path:
        """Where the blob lives; the digest is validated before it touches a path.

        Raises:
            InvalidArgument: `digest` is not a sha256 digest.
        """
        validate_digest(digest)
        return self.root / "sha256" / digest.removeprefix("sha256:")

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def writer(self, max_size: int | None = None) -> BlobWriter:
        """A writer for a new blob; use as a context manager."""
        return BlobWriter(self, max_size)

    def put(self, data: bytes, expected_digest: str | None = None) -> str:
        """Store `data` and return its digest.

        Raises:
            DigestMismatch: `data` does not hash to `expected_digest`; nothing is stored.
        """
        with self.writer() as writer:
            writer.write(data)
            return writer.commit(expected_digest, len(data))

    def read(self, digest: str, max_size: int = 16 * 1024 * 1024) -> bytes:
        """Read a whole (small) blob.

        Raises:
            NotFound: no such blob.
            InvalidArgument: the blob is larger than `max_size`.
        """
        path = self.path(digest)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob {digest} is not in the content store") from None
        if size > max_size:
            raise InvalidArgument(f"blob {digest} is {size} bytes, more than {max_size}")
        return path.read_bytes()

    def delete(self, digest: str) -> None:
        """Remove a blob; a missing one is fine."""
        self.path(digest).unlink(missing_ok=True)

    def digests(self) -> list[str]:
        """Every stored blob digest."""
        names = ["sha256:" + p.name for p in (self.root / "sha256").iterdir()]
        return sorted(n for n in names if is_sha256_digest(n))
