"""Container records on disk: one directory per container with its JSON record."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.store.atomic import write_json_atomic

log = logging.getLogger(__name__)

RECORD_FILE = "container.json"


class ContainerStore:
    """Keeps container records under <data-root>/containers/<id>/, written atomically.

    Lifecycle: `load_all` once at engine start, `save` after every state change, `delete`
    once the container is removed. The directory also holds the container's overlay
    upper/work dirs, rootfs mount point, OCI bundle and log file (see `paths`).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def container_dir(self, container_id: str) -> Path:
        return self.root / container_id

    def load_all(self) -> list[ContainerRecord]:
        """Read every record; an unreadable one is logged and skipped, never fatal."""
        records: list[ContainerRecord] = []
        for record_path in sorted(self.root.glob(f"*/{RECORD_FILE}")):
            try:
                records.append(ContainerRecord.from_json(json.loads(record_path.read_text())))
            except (OSError, ValueError, KeyError, TypeError) as err:
                log.error("skipping unreadable container record %s: %s", record_path, err)
        return records

    def save(self, record: ContainerRecord) -> None:
        path = self.container_dir(record.id) / RECORD_FILE
        write_json_atomic(path, record.to_json(), durable=False)

    def delete(self, container_id: str) -> None:
        """Remove the container's directory; a missing one is fine."""
        shutil.rmtree(self.container_dir(container_id), ignore_errors=True)
