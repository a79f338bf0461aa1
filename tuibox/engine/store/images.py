"""Image records (images/<hex>.json) and the reference index (images/repositories.json)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.store.atomic import write_json_atomic

log = logging.getLogger(__name__)

INDEX_FILE = "repositories.json"


class ImageStore:
    """Keeps image records and the map from normalised references to image IDs.

    Lifecycle: built once at engine start (reads everything into memory); every change
    writes the affected file atomically first and updates memory after, so a crash leaves
    the old or the new state. The reference index is authoritative for tags: records
    returned by `get` carry the tags and repo digests the index holds for them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._records: dict[str, ImageRecord] = {}
        self._refs: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        for path in sorted(self.root.glob("*.json")):
            if path.name == INDEX_FILE:
                continue
            try:
                record = ImageRecord.from_json(json.loads(path.read_text()))
            except (OSError, ValueError, KeyError, TypeError) as err:
                log.error("skipping unreadable image record %s: %s", path, err)
                continue
            self._records[record.id] = record
        for stale in self.root.glob(".*.json.*"):  # temp files of an interrupted write
            stale.unlink(missing_ok=True)
        self._refs = self._load_index(self.root / INDEX_FILE)

    def _load_index(self, index_path: Path) -> dict[str, str]:
        """The reference index; a corrupt one is logged and replaced by an empty one."""
        if not index_path.exists():
            return {}
        try:
            refs = json.loads(index_path.read_text()).get("refs", {})
            if not isinstance(refs, dict):
                raise TypeError(f"refs is a {type(refs).__name__}, not an object")
        except (OSError, ValueError, AttributeError, TypeError) as err:
            log.error("unreadable reference index %s, starting without tags: %s", index_path, err)
            return {}
        return {str(k): str(v) for k, v in refs.items() if v in self._records and _parses(k)}

    def _record_path(self, image_id: str) -> Path:
        return self.root / f"{image_id.removeprefix('sha256:')}.json"

    def ids(self) -> list[str]:
        """Every image ID (a snapshot: safe to use from a worker thread)."""
        return list(self._records)

    def count(self) -> int:
        return len(self._records)

    def exists(self, image_id: str) -> bool:
        return image_id in self._records

    def get(self, image_id: str) -> ImageRecord | None:
        """The record with its current tags, or None."""
        record = self._records.get(image_id)
        if record is None:
            return None
        refs = self.refs_of(image_id)
        tags = tuple(r.familiar for r in refs if r.digest is None)
        digests = tuple(r.familiar for r in refs if r.digest is not None)
        return record.with_tags(tags, digests)

    def all(self) -> list[ImageRecord]:
        """Every record with its tags (built from snapshots of the dicts)."""
        return [r for r in (self.get(i) for i in list(self._records)) if r is not None]

    def save(self, record: ImageRecord) -> None:
        """Write (or overwrite) a record."""
        write_json_atomic(self._record_path(record.id), record.to_json())
        self._records[record.id] = record

    def delete(self, image_id: str) -> None:
        """Remove a record and every reference to it."""
        remaining = {k: v for k, v in self._refs.items() if v != image_id}
        if remaining != self._refs:
            self._write_index(remaining)
        self._record_path(image_id).unlink(missing_ok=True)
        self._records.pop(image_id, None)

    def lookup(self, reference: Reference) -> str | None:
        """The image ID a normalised reference points to."""
        return self._refs.get(str(reference))

    def refs_of(self, image_id: str) -> list[Reference]:
        """References pointing at an image, sorted."""
        refs = self._refs  # replaced whole on change, never mutated: a consistent snapshot
        return [parse_reference(k) for k, v in sorted(refs.items()) if v == image_id]

    def set_ref(self, reference: Reference, image_id: str) -> str | None:
        """Point `reference` at `image_id`; returns the image it pointed at before."""
        previous = self._refs.get(str(reference))
        if previous != image_id:
            self._write_index({**self._refs, str(reference): image_id})
        return previous

    def remove_ref(self, reference: Reference) -> bool:
        """Drop a reference; False when it did not exist."""
        if str(reference) not in self._refs:
            return False
        self._write_index({k: v for k, v in self._refs.items() if k != str(reference)})
        return True

    def find_by_prefix(self, hex_prefix: str) -> list[str]:
        """Image IDs whose hex starts with `hex_prefix`."""
        ids = list(self._records)
        return [i for i in ids if i.removeprefix("sha256:").startswith(hex_prefix)]

    def _write_index(self, refs: dict[str, str]) -> None:
        write_json_atomic(self.root / INDEX_FILE, {"refs": refs})
        self._refs = dict(refs)


def _parses(text: object) -> bool:
    try:
        return isinstance(text, str) and str(parse_reference(text)) == text
    except InvalidArgument:
        return False
