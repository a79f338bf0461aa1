"""Unpacked layers on disk: layers/<chain id hex>/diff, each committed once by rename."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.domain.errors import NotFound
from tuibox.engine.domain.reference import is_sha256_digest, validate_digest
from tuibox.engine.store.atomic import write_json_atomic

DIFF_DIR = "diff"
META_FILE = "layer.json"
UNSYNCED_MARK = "unsynced"
"""In a layer dir: its files may not be on disk yet (committed before the filesystem was
synced); after a crash the layer is verified before use."""
_STAGING_PREFIX = "tmp-"


@dataclass(frozen=True)
class LayerInfo:
    """What is known about one committed layer."""

    chain_id: str
    diff_id: str
    size: int


class LayerStore:
    """Overlay lower dirs keyed by chain ID.

    Lifecycle: `staging_dir` gives an empty directory on the same filesystem; the caller
    unpacks into its `diff/`, then `commit` renames it to `<chain id hex>/` (if another
    pull committed the same chain ID first, the staging copy is dropped). `discard`
    removes a failed staging dir; leftovers from a crash are removed at start.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)
        for stale in root.glob(f"{_STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)

    def layer_path(self, chain_id: str) -> Path:
        """The layer's directory; the chain ID is validated before it becomes a path."""
        validate_digest(chain_id)
        return self.root / chain_id.removeprefix("sha256:")

    def diff_dir(self, chain_id: str) -> Path:
        return self.layer_path(chain_id) / DIFF_DIR

    def has(self, chain_id: str) -> bool:
        return (self.layer_path(chain_id) / META_FILE).is_file()

    def info(self, chain_id: str) -> LayerInfo:
        """Read a committed layer's metadata.

        Raises:
            NotFound: the layer is not unpacked.
        """
        try:
            meta = json.loads((self.layer_path(chain_id) / META_FILE).read_text())
        except FileNotFoundError:
            raise NotFound(f"layer {chain_id} is not unpacked") from None
        return LayerInfo(chain_id=chain_id, diff_id=meta["diff_id"], size=int(meta["size"]))

    def staging_dir(self) -> Path:
        """A fresh directory to unpack into; its `diff/` subdirectory already exists."""
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root))
        (staging / DIFF_DIR).mkdir(mode=0o755)
        return staging

    def commit(self, staging: Path, chain_id: str, diff_id: str, size: int) -> bool:
        """Move a staged layer into place; False when the layer already existed."""
        target = self.layer_path(chain_id)
        write_json_atomic(staging / META_FILE, {"diff_id": diff_id, "size": size})
        if self.has(chain_id):
            self.discard(staging)
            return False
        try:
            staging.rename(target)
        except OSError:
            if not self.has(chain_id):
                raise
            self.discard(staging)
            return False
        return True

    def mark_unsynced(self, staging: Path) -> None:
        """Mark a staged layer as not yet synced (before commit)."""
        (staging / UNSYNCED_MARK).touch()

    def mark_synced(self, chain_id: str) -> None:
        (self.layer_path(chain_id) / UNSYNCED_MARK).unlink(missing_ok=True)

    def unsynced(self) -> list[str]:
        """Chain IDs of committed layers still marked unsynced."""
        return [c for c in self.chain_ids()
                if self.has(c) and (self.layer_path(c) / UNSYNCED_MARK).exists()]  # fmt: skip

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def remove(self, chain_id: str) -> None:
        """Delete a committed layer: rename it aside first so a half-removed dir is never used."""
        path = self.layer_path(chain_id)
        if not path.exists():
            return
        doomed = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root)) / "old"
        path.rename(doomed)
        shutil.rmtree(doomed.parent, ignore_errors=True)

    def chain_ids(self) -> list[str]:
        """Chain IDs of every directory that looks like a layer (committed or not)."""
        names = ["sha256:" + p.name for p in self.root.iterdir()]
        return sorted(n for n in names if is_sha256_digest(n))
