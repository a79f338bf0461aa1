"""Has Textual send only the changed cells of a line in a partial repaint, not the whole line.

Textual 8.2.8 (pinned in pyproject.toml) crops a partial repaint at the right end of the
change but starts every line at the left edge of the widget it falls in (its ChopsUpdate
carries a "TODO: crop to x extents"). A table whose CPU and memory cells change each
second then resends every visible row from its first column: about 350 bytes a row at 80
columns instead of the hundred the changed cells take. `install()` replaces that one
method with one that crops both ends, backing off to the start of a wide character so
no half of one is ever drawn.
"""

from __future__ import annotations

from rich.console import Console
from rich.control import Control
from textual._cells import cell_len
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_textual_render_segments = ChopsUpdate.render_segments


def character_start(strip: Strip, cell: int) -> int:
    """The cell where the character covering `cell` begins (`cell` unless a wide one spans it)."""
    position = 0
    for segment in strip:
        width = cell_len(segment.text)
        if position + width <= cell:
            position += width
            continue
        for character in segment.text:
            character_width = cell_len(character)
            if position + character_width > cell:
                return position
            position += character_width
        return position
    return min(cell, position)


def render_changed_cells(update: ChopsUpdate, console: Console) -> str:
    """What Textual's ChopsUpdate.render_segments writes, cropped to the changed cells."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = update.spans[-1][0]
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            start = character_start(strip, max(0, x1 - x))
            stop = min(end, x2) - x
            append(move_to(x + start, y).segment.text)
            append(strip.crop(start, stop).render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install() -> None:
    """Make every partial repaint send only its changed cells (idempotent)."""
    ChopsUpdate.render_segments = render_changed_cells  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Put Textual's own partial repaint back (for comparisons)."""
    ChopsUpdate.render_segments = _textual_render_segments  # type: ignore[method-assign]
