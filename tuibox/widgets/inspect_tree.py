"""Provides InspectTree: an engine's JSON document (docker inspect) as a folding tree."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuibox.widgets.search_bar import SearchBar

MAX_LABEL = 200
"""Longest value shown on one line; the rest is cut with an ellipsis."""
OPEN_AT_START = ("State", "Config", "HostConfig", "Mounts", "NetworkSettings")


class InspectTree(Tree[Any]):
    """Objects and lists fold; leaves read `key: value`. Top-level sections start open.

    `/` searches the labels (keys and values, any case): every match is highlighted, the
    first is selected with its parents opened, and `n` / `N` go to the next and previous.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"inspecttree--match"}

    DEFAULT_CSS = """
    InspectTree > .inspecttree--match { background: $warning 45%; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
    ]
    """Search the tree and move between the matches."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("inspect", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.search_query = ""
        """What was searched for last ("" for none)."""
        self.matches: list[TreeNode[Any]] = []
        self.current_match = 0
        self._labels: dict[int, Text] = {}
        """The label of each highlighted node before its highlight."""

    def show_document(self, document: dict[str, Any]) -> None:
        """Replace what is shown with `document` (a search is run again on it)."""
        self._labels.clear()
        self.matches = []
        self.clear()
        for key, value in document.items():
            node = _add(self.root, key, value)
            if node is not None and key in OPEN_AT_START:
                node.expand()
        self.root.expand()
        if self.search_query:
            self.search(self.search_query)

    def action_search(self) -> None:
        """Ask for a search (the screen shows the search bar)."""
        self.post_message(SearchBar.Requested(self, self.search_query))

    def search(self, query: str) -> None:
        """Highlight the labels holding `query` (any case) and select the first."""
        for node in self.matches:
            node.set_label(self._labels.pop(node.id, node.label))
        self.search_query, self.matches, self.current_match = query, [], 0
        if not query:
            return
        pattern = re.compile(re.escape(query), re.IGNORECASE)
        style = self.get_component_rich_style("inspecttree--match", partial=True) or Style(
            reverse=True
        )
        for node in _walk(self.root):
            label = node.label if isinstance(node.label, Text) else Text(node.label)
            if pattern.search(label.plain):
                self._labels[node.id] = label
                highlighted = label.copy()
                highlighted.highlight_regex(pattern, style)
                node.set_label(highlighted)
                self.matches.append(node)
        if not self.matches:
            self.notify(f"No match for {query!r}.", severity="warning", markup=False)
            return
        self._select_match()

    def action_next_match(self) -> None:
        """Select the next match (wrapping)."""
        self._step(1)

    def action_previous_match(self) -> None:
        """Select the previous match (wrapping)."""
        self._step(-1)

    def _step(self, direction: int) -> None:
        if not self.matches:
            self.notify("Search first: / then the text." if not self.search_query
                        else f"No match for {self.search_query!r}.", severity="warning",
                        markup=False)  # fmt: skip
            return
        self.current_match = (self.current_match + direction) % len(self.matches)
        self._select_match()

    def _select_match(self) -> None:
        node = self.matches[self.current_match]
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[Any]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)

    @property
    def match_status(self) -> str:
        """"match 2/5 of 'env'", "no match of 'env'", or "" without a search."""
        if not self.search_query:
            return ""
        if not self.matches:
            return f"no match of {self.search_query!r}"
        return f"match {self.current_match + 1}/{len(self.matches)} of {self.search_query!r}"


def _walk(node: TreeNode[Any]) -> list[TreeNode[Any]]:
    """The nodes under `node`, depth first in document order."""
    found: list[TreeNode[Any]] = []
    for child in node.children:
        found.append(child)
        found.extend(_walk(child))
    return found


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
