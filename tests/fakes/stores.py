"""MemoryContainerStore: container records kept in memory, as JSON, beside real directories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tuibox.engine.domain.container import ContainerRecord


class MemoryContainerStore:
    """A fake of the on-disk container store: records live in a dict, as JSON text.

    Records go through to_json/from_json as on disk, so what survives an engine restart
    is exactly what the disk would keep. The containers' files (log, bundle, rootfs)
    still need directories: they are under `root`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.saved: dict[str, str] = {}
        root.mkdir(parents=True, exist_ok=True)

    def container_dir(self, container_id: str) -> Path:
        return self.root / container_id

    def load_all(self) -> list[ContainerRecord]:
        return [ContainerRecord.from_json(json.loads(text)) for text in self.saved.values()]

    def save(self, record: ContainerRecord) -> None:
        self.saved[record.id] = json.dumps(record.to_json())

    def delete(self, container_id: str) -> None:
        self.saved.pop(container_id, None)
        shutil.rmtree(self.container_dir(container_id), ignore_errors=True)
