"""Unit tests: a partial repaint sends only the changed cells and draws what Textual's would."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from tuibox import partial_output
from tuibox.partial_output import character_start, render_changed_cells

_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
WIDTH = 30


@pytest.fixture
def console() -> Console:
    return Console(color_system="truecolor", force_terminal=True, width=WIDTH, legacy_windows=False)


def paint(output: str, screen: list[list[str]]) -> set[tuple[int, int]]:
    """Apply cursor moves and text to `screen` as a terminal would; the cells written."""
    written: set[tuple[int, int]] = set()
    row = column = 0
    position = 0
    text = _SGR.sub("", output)
    while position < len(text):
        move = _MOVE.match(text, position)
        if move:
            row, column = int(move.group(1)) - 1, int(move.group(2)) - 1
            position = move.end()
            continue
        character = text[position]
        position += 1
        if character == "\n":
            continue
        screen[row][column] = character
        written.add((row, column))
        column += 2 if character in WIDE else 1
    return written


WIDE = {"数", "据"}


def table_line() -> tuple[Strip, Strip]:
    """Two widgets on one line: a 20-cell table row (several styled segments), a 10-cell one."""
    red, plain = Style(color="red"), Style()
    left = Strip([Segment(" web-1  ", plain), Segment("running", red), Segment(" 37% ▃▅", plain)])
    left = left.extend_cell_length(20)
    right = Strip([Segment("数据 64MiB", plain)])  # 10 cells: the two characters are wide
    return left, right


def update(x1: int, x2: int) -> ChopsUpdate:
    left, right = table_line()
    return ChopsUpdate([{0: left, 20: right}], [(0, x1, x2)], [[20, 30]])


def rendered(output: str) -> tuple[list[list[str]], set[tuple[int, int]]]:
    screen = [["·"] * WIDTH]
    written = paint(output, screen)
    return screen, written


@pytest.mark.parametrize(("x1", "x2"), [(16, 19), (0, 3), (12, 25), (21, 23), (22, 24), (20, 30)])
def test_only_the_changed_cells_are_sent_and_they_read_as_textuals(
    console: Console, x1: int, x2: int
) -> None:
    change = update(x1, x2)
    ours, ours_written = rendered(render_changed_cells(change, console))
    theirs, _ = rendered(partial_output._textual_render_segments(change, console))
    assert ours[0][x1:x2] == theirs[0][x1:x2], "the changed cells read the same"
    first = min(column for _, column in ours_written)
    assert first == x1 or (first == x1 - 1 and ours[0][first] in WIDE), "from the change on"
    assert max(column for _, column in ours_written) < x2, "nothing after the change"


def test_textual_alone_resends_the_row_from_the_widgets_left_edge(console: Console) -> None:
    """The reason for the module: without it a 3-cell change costs the whole row."""
    change = update(16, 19)
    _, theirs = rendered(partial_output._textual_render_segments(change, console))
    _, ours = rendered(render_changed_cells(change, console))
    assert min(column for _, column in theirs) == 0
    assert len(ours) == 3 < len(theirs)


def test_a_wide_character_straddling_the_start_is_drawn_whole(console: Console) -> None:
    change = update(21, 24)  # cell 21 is the second half of 数 (cells 20-21)
    output = render_changed_cells(change, console)
    assert output.startswith("\x1b[1;21H"), "the move goes back to the character's first cell"
    assert "数" in output


def test_character_start_backs_off_only_inside_a_wide_character() -> None:
    strip = Strip([Segment("ab"), Segment("数据c")])
    assert [character_start(strip, cell) for cell in range(8)] == [0, 1, 2, 2, 4, 4, 6, 7]


def test_install_replaces_and_uninstall_restores_textuals_method() -> None:
    try:
        partial_output.install()
        assert ChopsUpdate.render_segments is render_changed_cells
        partial_output.uninstall()
        assert ChopsUpdate.render_segments is partial_output._textual_render_segments
    finally:
        partial_output.install()
