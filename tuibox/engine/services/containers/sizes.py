"""How much a container's writable layer holds, as `docker ps -s` shows it (SizeRw)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def directory_size(root: Path) -> int:
    """Bytes of the regular files and symlinks under `root`, each hard link counted once.

    Links are never followed; entries that vanish while the walk runs are skipped.
    """
    seen: set[tuple[int, int]] = set()
    total = 0
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(Path(entry.path))
                continue
            key = (info.st_dev, info.st_ino)
            if info.st_nlink > 1:
                if key in seen:
                    continue
                seen.add(key)
            total += info.st_size
    return total
