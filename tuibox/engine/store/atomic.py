"""Atomic file writes: a temporary file in the same directory, fsync, then os.replace."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes_atomic(
    path: Path, data: bytes, *, durable: bool = True, mode: int | None = None
) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix.

    Args:
        path: the file to replace.
        data: its new content.
        durable: fsync before the rename, so the data also survives a power loss. Files
            rewritten on every container start or state change skip it: the rename alone
            already survives an engine crash, and an fsync costs milliseconds per run.
        mode: the file's permission bits, set before the rename (0600 when not given).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            if durable:
                os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write `data` as JSON atomically (compact when not durable: those files are hot)."""
    text = json.dumps(data, indent=1, sort_keys=True) if durable else json.dumps(data)
    write_bytes_atomic(path, text.encode(), durable=durable)
