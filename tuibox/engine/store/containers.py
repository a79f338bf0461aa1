"""Container records on disk: one directory per container with its JSON record."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Protocol

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.store.atomic import write_json_atomic

log = logging.getLogger(__name__)

RECORD_FILE = "container.json"
TRASH_PREFIX = ".removing-"


class ContainerRecordStore(Protocol):
    """Where container records live, and the directory that holds each one's files.

    Lifecycle: `load_all` once at engine start, `save` after every state change, `delete`
    once the container is removed (its directory goes with it).
    """

    def container_dir(self, container_id: str) -> Path:
        """The directory of the container's files (root filesystem, bundle, log)."""
        ...

    def load_all(self) -> list[ContainerRecord]:
        """Every saved record; unreadable ones are skipped."""
        ...

    def save(self, record: ContainerRecord) -> None:
        """Write the record so it survives an engine crash."""
        ...

    def delete(self, container_id: str) -> None:
        """Remove the record and the container's directory; a missing one is fine."""
        ...


class ContainerStore:
    """Keeps container records under <data-root>/containers/<id>/, written atomically.

    The directory also holds the container's overlay upper/work dirs, rootfs mount
    point, OCI bundle and log file (see ContainerPaths).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def container_dir(self, container_id: str) -> Path:
        return self.root / container_id

    def load_all(self) -> list[ContainerRecord]:
        """Read every record; an unreadable one is logged and skipped, never fatal.

        Directories left by a removal or a create that an engine crash cut short (a
        trash name, or no record file) are deleted first.
        """
        for leftover in self.root.iterdir():
            if os.path.ismount(leftover / "rootfs"):
                continue  # never delete through a mounted root filesystem
            if leftover.name.startswith(TRASH_PREFIX) or not (leftover / RECORD_FILE).exists():
                log.info("removing leftover container directory %s", leftover.name)
                shutil.rmtree(leftover, ignore_errors=True)
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
        """Remove the container's directory; a missing one is fine.

        It is renamed first, so a crash halfway through never leaves a directory that
        looks like a container with a damaged record.
        """
        directory = self.container_dir(container_id)
        trash = self.root / f"{TRASH_PREFIX}{container_id}"
        try:
            os.rename(directory, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)
