"""What a container changed: its overlay upper dir read against the image's layers (pure I/O).

As `docker diff`: a path in the upper dir that a lower layer has is Modified (0), one no
layer has is Added (1), and an overlay whiteout (a 0:0 character device) is Deleted (2).
Nothing is followed: entries are lstat'ed, so a symlink in the container is reported, not
walked.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MODIFIED, ADDED, DELETED = 0, 1, 2
MAX_CHANGES = 100_000
"""More changed paths than this are not listed (the answer would be megabytes)."""


def changes(upper: Path, lowers: list[Path]) -> list[dict[str, object]]:
    """[{"Path": "/etc/passwd", "Kind": 0}, ...] sorted by path."""
    found: list[dict[str, object]] = []
    for directory, dirs, files in os.walk(upper):
        relative_dir = os.path.relpath(directory, upper)
        for name in sorted([*dirs, *files]):
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            info = os.lstat(os.path.join(directory, name))
            whiteout = stat.S_ISCHR(info.st_mode) and info.st_rdev == 0
            if whiteout:
                kind = DELETED
            elif any(os.path.lexists(lower / relative) for lower in lowers):
                kind = MODIFIED
            else:
                kind = ADDED
            found.append({"Path": "/" + relative, "Kind": kind})
            if len(found) >= MAX_CHANGES:
                return sorted(found, key=lambda c: str(c["Path"]))
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
    return sorted(found, key=lambda c: str(c["Path"]))
