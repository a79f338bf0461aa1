"""Local volumes on disk: `<root>/<name>/volume.json` beside the data in `<root>/<name>/_data`."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from tuibox.engine.domain.mounts import VolumeRecord
from tuibox.engine.store.atomic import write_json_atomic

log = logging.getLogger(__name__)

RECORD_FILE = "volume.json"
DATA_DIR = "_data"
TRASH_PREFIX = ".removing-"


class VolumeStore:
    """Keeps volume records and data under one root (root only: the data is the user's)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)

    def data_dir(self, name: str) -> Path:
        """Where the volume's files are: what containers mount."""
        return self.root / name / DATA_DIR

    def load_all(self) -> list[VolumeRecord]:
        """Every volume; a removal an engine crash cut short is finished first."""
        for leftover in self.root.iterdir():
            if leftover.name.startswith(TRASH_PREFIX):
                shutil.rmtree(leftover, ignore_errors=True)
        records: list[VolumeRecord] = []
        for path in sorted(self.root.glob(f"*/{RECORD_FILE}")):
            try:
                records.append(VolumeRecord.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError) as err:
                log.error("skipping unreadable volume record %s: %s", path, err)
        return records

    def save(self, record: VolumeRecord) -> None:
        """Create the volume's data directory (once) and write its record."""
        self.data_dir(record.name).mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.root / record.name / RECORD_FILE, record.to_json())

    def delete(self, name: str) -> None:
        """Remove the volume and its data; renamed first so a crash never leaves half."""
        trash = self.root / f"{TRASH_PREFIX}{name}"
        try:
            os.rename(self.root / name, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def size(self, name: str) -> int:
        """Bytes the volume's files take (for `docker system df -v` and prune's report)."""
        total = 0
        for directory, _dirs, files in os.walk(self.data_dir(name)):
            for file_name in files:
                try:
                    total += os.lstat(os.path.join(directory, file_name)).st_size
                except OSError:
                    continue
        return total
