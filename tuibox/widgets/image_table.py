"""Provides ImageTable: the images list, one row per tag as `docker images` shows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

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


def image_rows(images: Sequence[ImageSummary]) -> list[ImageRow]:
    """Expand images into rows, one per tag (one "<none>:<none>" row when untagged), newest first.

    Args:
        images: The images as the engine listed them.

    Returns:
        The rows in display order.
    """
    rows = [
        ImageRow(image, tag)
        for image in images
        for tag in (image.tags or (NO_TAG,))
    ]
    return sorted(rows, key=lambda row: (-row.image.created, row.reference))


class ImageTable(ResourceTable[ImageRow]):
    """Lists images: repository:tag, ID, size, created."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("reference", "REPOSITORY:TAG"),
        ("id", "IMAGE ID"),
        ("size", "SIZE"),
        ("created", "CREATED"),
    )

    def show(self, images: Sequence[ImageSummary], now: float) -> None:
        """Display `images`, with ages relative to `now` (Unix seconds)."""
        self.sync(
            [
                (f"{row.image.id}|{row.reference}", row, self._cells_for(row, now))
                for row in image_rows(images)
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
