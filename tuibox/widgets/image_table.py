"""Provides ImageTable: the images list, one row per tag as `docker images` shows them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text

from tuibox.client.models import ImageSummary
from tuibox.widgets.format import NO_TAG, age, human_size, short_id
from tuibox.widgets.resource_table import ResourceTable


@dataclass(frozen=True)
class ImageRow:
    """One line of the images list: an image under one of its references."""

    image: ImageSummary
    reference: str

    @property
    def target(self) -> str:
        """What to hand the engine for this row: the tag, or the ID when untagged."""
        return self.image.id if self.reference == NO_TAG else self.reference


ImageOrder = Literal["newest", "oldest", "largest", "smallest"]
ORDERS: tuple[ImageOrder, ...] = ("newest", "oldest", "largest", "smallest")
"""The orders `s` cycles through, newest first being the default (as `docker images`)."""

_SORT_KEYS: dict[ImageOrder, Callable[[ImageRow], tuple[float, str]]] = {
    "newest": lambda row: (-row.image.created, row.reference),
    "oldest": lambda row: (row.image.created, row.reference),
    "largest": lambda row: (-row.image.size, row.reference),
    "smallest": lambda row: (row.image.size, row.reference),
}
SORTED_COLUMN: dict[ImageOrder, tuple[str, str]] = {
    "newest": ("created", "▼"), "oldest": ("created", "▲"),
    "largest": ("size", "▼"), "smallest": ("size", "▲"),
}  # fmt: skip
"""The column each order sorts on, and the arrow its header gets (▼: biggest or newest first)."""


def image_rows(images: Sequence[ImageSummary], order: ImageOrder = "newest") -> list[ImageRow]:
    """Expand images into rows, one per tag (one "<none>:<none>" row when untagged), sorted.

    Args:
        images: The images as the engine listed them.
        order: Newest or oldest first (by creation), largest or smallest first (by size);
            rows that tie are in reference order.

    Returns:
        The rows in display order.
    """
    rows = [
        ImageRow(image, tag)
        for image in images
        for tag in (image.tags or (NO_TAG,))
    ]
    return sorted(rows, key=_SORT_KEYS[order])


class ImageTable(ResourceTable[ImageRow]):
    """Lists images: repository:tag, ID, size, created."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("reference", "REPOSITORY:TAG"),
        ("id", "IMAGE ID"),
        ("size", "SIZE"),
        ("created", "CREATED"),
    )

    order: ImageOrder = "newest"
    """How the rows are sorted; the sorted column's header carries an arrow."""

    def _add_columns(self) -> None:
        column, arrow = SORTED_COLUMN[self.order]
        for key, label in self.COLUMNS:
            self.add_column(f"{label} {arrow}" if key == column else label, key=key)

    def set_order(self, order: ImageOrder) -> None:
        """Sort by `order` from the next show() on (the headers say it at once)."""
        if order == self.order:
            return
        self.order = order
        if self.is_mounted:
            self.clear(columns=True)
            self._add_columns()
            self._cells = {}

    def show(self, images: Sequence[ImageSummary], now: float) -> None:
        """Display `images` in the table's order, with ages relative to `now` (Unix seconds)."""
        self.sync(
            [
                (f"{row.image.id}|{row.reference}", row, self._cells_for(row, now))
                for row in image_rows(images, self.order)
            ]
        )

    @staticmethod
    def _cells_for(row: ImageRow, now: float) -> tuple[Text, ...]:
        return (
            Text(row.reference),
            Text(short_id(row.image.id)),
            Text(human_size(row.image.size), justify="right"),
            Text(age(row.image.created, now)),
        )
