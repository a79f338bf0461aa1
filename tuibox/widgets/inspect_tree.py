"""Provides InspectTree: an engine's JSON document (docker inspect) as a folding tree."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

MAX_LABEL = 200
"""Longest value shown on one line; the rest is cut with an ellipsis."""
OPEN_AT_START = ("State", "Config", "HostConfig", "Mounts", "NetworkSettings")


class InspectTree(Tree[Any]):
    """Objects and lists fold; leaves read `key: value`. Top-level sections start open."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("inspect", id=id)
        self.show_root = False
        self.guide_depth = 2

    def show_document(self, document: dict[str, Any]) -> None:
        """Replace what is shown with `document`."""
        self.clear()
        for key, value in document.items():
            node = _add(self.root, key, value)
            if node is not None and key in OPEN_AT_START:
                node.expand()
        self.root.expand()


def _add(parent: TreeNode[Any], key: str, value: Any) -> TreeNode[Any] | None:
    if isinstance(value, dict) and value:
        node = parent.add(Text(str(key), style="bold"), data=value)
        for child_key, child in value.items():
            _add(node, str(child_key), child)
        return node
    if isinstance(value, list) and value:
        node = parent.add(Text(f"{key} [{len(value)}]", style="bold"), data=value)
        for index, item in enumerate(value):
            _add(node, str(index), item)
        return node
    shown = "null" if value is None else json.dumps(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        shown = "true" if value else "false"
    if isinstance(value, dict | list):
        shown = "{}" if isinstance(value, dict) else "[]"
    if len(shown) > MAX_LABEL:
        shown = shown[: MAX_LABEL - 1] + "…"
    label = Text.assemble((f"{key}: ", "bold"), shown)
    parent.add_leaf(label, data=value)
    return None
