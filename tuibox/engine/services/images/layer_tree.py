"""The layer explorer: each layer's file tree against the layers below it, and wasted space.

Layers are applied bottom first onto a stacked tree, as overlayfs shows them. An entry of
a layer is "added" when nothing below has its path, "modified" when something does (a
directory that exists below is modified, as `docker diff` reports it), and "removed" for a
whiteout or for what an opaque directory hides; a removed entry carries the kind of what it
removed and the bytes of regular files it hid. Wasted bytes are the bytes of file copies
that a later layer removed or overwrote, so they are stored in the image but never seen
(dive's "wasted space" also counts the copy that stays visible; this count does not).
Efficiency is the share of the stored file bytes still visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tuibox.engine.domain.errors import NotFound, RuntimeFailure
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.services.images.layer_walk import Node, read_layer
from tuibox.engine.services.images.service import ImageService

Change = Literal["added", "modified", "removed"]
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 100_000
WASTED_FILES_SHOWN = 20


@dataclass(frozen=True)
class TreeQuery:
    """Which entries of each layer to return: at most `limit` under the absolute `path`."""

    limit: int = DEFAULT_LIMIT
    path: str = "/"

    def matches(self, path: str) -> bool:
        return self.path == "/" or path == self.path or path.startswith(self.path + "/")


@dataclass(frozen=True)
class LayerSource:
    """One layer of an image as the explorer reads it."""

    diff_id: str
    chain_id: str
    created_by: str
    directory: Path


@dataclass(slots=True)
class _Tally:
    copies: int = 0
    total: int = 0
    wasted: int = 0


@dataclass
class _Stack:
    """The image stacked so far, and what each file path cost across the layers."""

    root: Node = field(default_factory=lambda: Node("dir", children={}))
    tallies: dict[str, _Tally] = field(default_factory=dict)
    wasted: int = 0

    def tally(self, path: str) -> _Tally:
        found = self.tallies.get(path)
        if found is None:  # not setdefault: that builds a _Tally for every call
            found = self.tallies[path] = _Tally()
        return found

    def add_file(self, path: str, stored: int) -> None:
        tally = self.tally(path)
        tally.copies += 1
        tally.total += stored

    def hide(self, node: Node, path: str) -> None:
        """Count every file at and below `node` (at `path`) as wasted: a layer above hid it."""
        pending = [(node, path)]
        while pending:
            current, current_path = pending.pop()
            if current.stored:
                self.tally(current_path).wasted += current.stored
                self.wasted += current.stored
            for name, child in (current.children or {}).items():
                pending.append((child, f"{current_path}/{name}"))


@dataclass
class _Entries:
    """The entries of one layer that the query asks for, and how many matched in all."""

    query: TreeQuery
    listed: list[dict[str, Any]] = field(default_factory=list)
    matched: int = 0
    stored: int = 0

    def add(self, path: str, node: Node, change: Change, size: int) -> None:
        if not self.query.matches(path):
            return
        self.matched += 1
        if len(self.listed) < self.query.limit:
            self.listed.append({"path": path, "kind": node.kind, "size": size, "mode": node.mode,
                                "uid": node.uid, "gid": node.gid, "change": change})  # fmt: skip


@dataclass
class _Frame:
    below: Node
    layer: Node
    path: str
    opaque: bool
    names: Iterator[str]


def explore_layers(image_id: str, layers: list[LayerSource], query: TreeQuery) -> dict[str, Any]:
    """The explorer's document for an image whose layers are given bottom first.

    Raises:
        NotFound: a layer directory disappeared while it was read (the image was removed).
        RuntimeFailure: the kernel refused to read a layer.
    """
    stack = _Stack()
    documents: list[dict[str, Any]] = []
    sizes: list[int] = []
    for index, layer in enumerate(layers):
        try:
            tree = read_layer(layer.directory)
        except FileNotFoundError:
            raise NotFound(f"layer {layer.chain_id} was removed while it was read") from None
        except OSError as error:
            raise RuntimeFailure(f"cannot read layer {layer.chain_id}: {error}") from None
        entries = _Entries(query)
        _apply(stack, tree, entries)
        sizes.append(tree.subtree_bytes())
        documents.append({
            "index": index, "diff_id": layer.diff_id, "chain_id": layer.chain_id,
            "created_by": layer.created_by, "size": sizes[-1],
            "entry_count": entries.matched, "truncated": entries.matched > len(entries.listed),
            "entries": entries.listed,
        })  # fmt: skip
    stored = sum(sizes)
    wasted_paths = [(path, t) for path, t in stack.tallies.items() if t.wasted]
    wasted_paths.sort(key=lambda item: (-item[1].wasted, item[0]))
    return {
        "id": image_id,
        "size": stored,
        "wasted_bytes": stack.wasted,
        "efficiency": 1.0 if stored == 0 else max(0.0, (stored - stack.wasted) / stored),
        "wasted_file_count": len(wasted_paths),
        "wasted_files": [
            {"path": path, "copies": t.copies, "total_bytes": t.total, "wasted_bytes": t.wasted}
            for path, t in wasted_paths[:WASTED_FILES_SHOWN]
        ],
        "layers": documents,
    }


def _apply(stack: _Stack, layer_root: Node, entries: _Entries) -> None:
    """Stack one layer onto `stack`, listing its entries in tree order (depth first, by name)."""
    frames = [_frame(stack.root, layer_root, "", opaque=False)]
    while frames:
        name = next(frames[-1].names, None)
        if name is None:
            frames.pop()
            continue
        deeper = _merge_entry(stack, frames[-1], name, entries)
        if deeper is not None:
            frames.append(deeper)


def _frame(below: Node, layer: Node, path: str, *, opaque: bool) -> _Frame:
    names = set(layer.children or {})
    if opaque:  # what the directory hides below is listed too: it is removed
        names |= set(below.children or {})
    return _Frame(below, layer, path, opaque, iter(sorted(names)))


def _merge_entry(stack: _Stack, frame: _Frame, name: str, entries: _Entries) -> _Frame | None:
    """Apply the layer's entry `name` of one directory; a directory to descend is returned."""
    below_children = frame.below.children
    assert below_children is not None and frame.layer.children is not None
    path = f"{frame.path}/{name}"
    below = below_children.get(name)
    item = frame.layer.children.get(name)
    if item is None or item.kind == "whiteout":
        if below is not None:
            entries.add(path, below, "removed", below.subtree_bytes())
            stack.hide(below, path)
            del below_children[name]
        elif item is not None:  # a whiteout over nothing: listed, it hides nothing
            entries.add(path, item, "removed", 0)
        return None
    entries.add(path, item, "added" if below is None else "modified", item.size)
    if item.kind == "dir":
        if below is not None and below.kind == "dir":
            below.mode, below.uid, below.gid = item.mode, item.uid, item.gid
            return _frame(below, item, path, opaque=frame.opaque or item.opaque)
        if below is not None:
            stack.hide(below, path)
        fresh = Node("dir", mode=item.mode, uid=item.uid, gid=item.gid, children={})
        below_children[name] = fresh
        return _frame(fresh, item, path, opaque=False)
    if below is not None:
        stack.hide(below, path)
    below_children[name] = Node(item.kind, item.size, item.mode, item.uid, item.gid, item.stored)
    if item.kind == "file":
        stack.add_file(path, item.stored)
    return None


class LayerExplorer:
    """Serves the explorer for the images of an ImageService, reading its layer store."""

    def __init__(self, images: ImageService) -> None:
        self.images = images

    async def explore(self, name: str, query: TreeQuery) -> dict[str, Any]:
        """The explorer's document for the image `name` (see explore_layers).

        Raises:
            NotFound: no such image, or one of its layers is not unpacked.
        """
        record = self.images.resolve(name)
        return await asyncio.to_thread(explore_layers, record.id, self._sources(record), query)

    def _sources(self, record: ImageRecord) -> list[LayerSource]:
        commands = _layer_commands(record)
        sources = []
        pairs = zip(record.diff_ids, record.chain_ids, strict=True)
        for index, (diff_id, chain_id) in enumerate(pairs):
            if not self.images.layers.has(chain_id):
                raise NotFound(
                    f"layer {chain_id} is missing from the layer store; pull the image again"
                )
            created_by = commands[index]
            sources.append(LayerSource(diff_id, chain_id, created_by,
                                       self.images.layers.diff_dir(chain_id)))  # fmt: skip
        return sources


def _layer_commands(record: ImageRecord) -> list[str]:
    """`created_by` of each layer, bottom first, from the history entries that made one.

    A history shorter than the layers (an image built without one, then committed here)
    is matched from the top: the newest entries are the ones that were recorded.
    """
    history = record.config.get("history") or []
    commands = [str(item.get("created_by") or "") for item in history
                if isinstance(item, dict) and not item.get("empty_layer")]  # fmt: skip
    missing = len(record.diff_ids) - len(commands)
    return [""] * missing + commands if missing > 0 else commands
