"""Provides the layer explorer's rows: an image's files as of one layer, with its changes (pure).

The engine lists what each layer holds and what it did (added, modified, removed). Stacking
layers 0..N here gives the image's file tree as a container of layer N would see it; the
entries of layer N carry their change, the rest came unchanged from below. The removed
entries of layer N are rows too (shown struck out), so a removal can be seen where it was.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from tuibox.client.image_details import Change, LayerEntry, LayerReport

CHANGE_LETTERS: dict[Change | None, str] = {
    "added": "A", "modified": "M", "removed": "R", None: " ",
}  # fmt: skip
"""One letter per change, so a change reads without its colour."""
RowT = TypeVar("RowT")
_KIND_BITS = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "symlink": stat.S_IFLNK,
              "char": stat.S_IFCHR, "block": stat.S_IFBLK, "fifo": stat.S_IFIFO,
              "socket": stat.S_IFSOCK, "whiteout": stat.S_IFCHR}  # fmt: skip


@dataclass(frozen=True)
class FileRow:
    """One path of the tree as of a layer; `change` is None when it came from below."""

    path: str
    kind: str
    size: int
    mode: int
    change: Change | None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def mode_text(self) -> str:
        """`ls -l`'s mode column, e.g. "drwxr-xr-x"."""
        return stat.filemode(_KIND_BITS.get(self.kind, 0) | self.mode)


def tree_key(path: str) -> tuple[str, ...]:
    """Sort key that lists a directory's contents right after it ("/a", "/a/b", "/a.txt")."""
    return tuple(path.split("/"))


def layer_rows(report: LayerReport, index: int, *, changes_only: bool = False,
               query: str = "") -> list[FileRow]:  # fmt: skip
    """The rows of layer `index` in tree order.

    Args:
        report: the engine's layer report.
        index: the layer, 0 for the bottom one.
        changes_only: only the layer's own entries, not what it left as it was.
        query: keep the paths holding this text (any case), with their parent directories.
    """
    own = {entry.path: entry for entry in report.layers[index].entries}
    rows: dict[str, FileRow] = {}
    if not changes_only:
        for path, entry in _stacked(report.layers[i].entries for i in range(index)).items():
            rows[path] = FileRow(path, entry.kind, entry.size, entry.mode, None)
        _drop_under(rows, {path for path, entry in own.items()
                           if entry.change == "removed" and entry.kind == "dir"})  # fmt: skip
    for path, entry in own.items():
        rows[path] = FileRow(path, entry.kind, entry.size, entry.mode, entry.change)
    if query:
        rows = _matching(rows, query)
    return [rows[path] for path in sorted(rows, key=tree_key)]


def _stacked(layers: Iterable[tuple[LayerEntry, ...]]) -> dict[str, LayerEntry]:
    """What the layers leave, applied bottom first: a directory removed, or replaced by a
    file, takes what was in it away (a layer never adds below a path it removes)."""
    present: dict[str, LayerEntry] = {}
    for entries in layers:
        gone_dirs: set[str] = set()
        for entry in entries:
            below = present.get(entry.path)
            if below is not None and below.kind == "dir" and (
                entry.change == "removed" or entry.kind != "dir"
            ):
                gone_dirs.add(entry.path)
            if entry.change == "removed":
                present.pop(entry.path, None)
            else:
                present[entry.path] = entry
        _drop_under(present, gone_dirs)
    return present


def _drop_under(rows: dict[str, RowT], directories: set[str]) -> None:
    """Remove every path below one of `directories`, in one pass over `rows`."""
    if not directories:
        return
    for path in [p for p in rows if _is_under(p, directories)]:
        del rows[path]


def _is_under(path: str, directories: set[str]) -> bool:
    parent = path.rsplit("/", 1)[0]
    while parent:
        if parent in directories:
            return True
        parent = parent.rsplit("/", 1)[0]
    return False


def _matching(rows: dict[str, FileRow], query: str) -> dict[str, FileRow]:
    """The rows whose path holds `query` (any case), and the directories above them."""
    wanted = query.lower()
    kept: dict[str, FileRow] = {}
    for path, row in rows.items():
        if wanted not in path.lower():
            continue
        kept[path] = row
        parent = path.rsplit("/", 1)[0]
        while parent and parent not in kept:
            if parent in rows:
                kept[parent] = rows[parent]
            parent = parent.rsplit("/", 1)[0]
    return kept
