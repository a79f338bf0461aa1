"""Provides the image detail screen's tables: history, config, layers and wasted files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text

from tuibox.client.image_details import HistoryEntry, ImageConfig, LayerDetail, WastedFile
from tuibox.widgets.format import age, human_size, terminal_safe
from tuibox.widgets.resource_table import ResourceTable

MAX_CELL = 300
"""Longest text shown in a cell (a long RUN line); the rest is cut with an ellipsis."""
NONE = Text("(none)", style="dim")


def _cut(text: str) -> Text:
    text = terminal_safe(" ".join(text.split()))
    return Text(text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…")


class HistoryTable(ResourceTable[HistoryEntry]):
    """`docker history`: newest first, CREATED as an age, SIZE 0B for a layerless step."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("created", "CREATED"), ("size", "SIZE"), ("created_by", "CREATED BY"),
        ("comment", "COMMENT"),
    )  # fmt: skip

    def show(self, history: Sequence[HistoryEntry], now: float) -> None:
        """Display the history rows (as the engine lists them, newest first)."""
        self.sync([(str(index), entry, (Text(age(entry.created, now)),
                    Text(human_size(entry.size), justify="right"), _cut(entry.created_by),
                    _cut(entry.comment)))
                   for index, entry in enumerate(history)])  # fmt: skip


class ConfigTable(ResourceTable[str]):
    """What a container of the image starts with; a list field takes one row per item."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (("field", "FIELD"), ("value", "VALUE"))

    def show(self, config: ImageConfig) -> None:
        """Display the image's Config section."""
        fields: list[tuple[str, Sequence[str]]] = [
            ("Entrypoint", [json.dumps(list(config.entrypoint))] if config.entrypoint else []),
            ("Cmd", [json.dumps(list(config.cmd))] if config.cmd else []),
            ("Working dir", [config.working_dir] if config.working_dir else []),
            ("User", [config.user] if config.user else []),
            ("Env", config.env),
            ("Exposed ports", config.exposed_ports),
            ("Volumes", config.volumes),
            ("Labels", [f"{key}={value}" for key, value in config.labels]),
        ]
        rows = []
        for name, values in fields:
            cells = [_cut(value) for value in values] or [NONE]
            for index, cell in enumerate(cells):
                rows.append((f"{name}/{index}", name, (Text(name if index == 0 else ""), cell)))
        self.sync(rows)


class LayerTable(ResourceTable[LayerDetail]):
    """An image's layers, bottom first, with the command that made each."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("index", "#"), ("size", "SIZE"), ("created_by", "CREATED BY"),
    )  # fmt: skip

    def show(self, layers: Sequence[LayerDetail]) -> None:
        """Display the layers."""
        self.sync([(str(layer.index), layer, (Text(str(layer.index)),
                    Text(human_size(layer.size), justify="right"),
                    _cut(layer.created_by) if layer.created_by else NONE))
                   for layer in layers])  # fmt: skip


class WastedTable(ResourceTable[WastedFile]):
    """The files whose copies a later layer removed or overwrote, most bytes first."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("wasted", "WASTED"), ("copies", "COPIES"), ("path", "PATH"),
    )  # fmt: skip

    def show(self, files: Sequence[WastedFile]) -> None:
        """Display the wasted files."""
        self.sync([(item.path, item, (Text(human_size(item.wasted_bytes), justify="right"),
                    Text(str(item.copies), justify="right"), _cut(item.path)))
                   for item in files])  # fmt: skip
