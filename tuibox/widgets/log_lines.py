"""Provides LogLines: a log view's lines, their layout in rows (wrapped or not) and search."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tuibox.widgets.format import sgr_only, strip_sgr

TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) ")
"""The RFC 3339 time the engine puts before each log entry when asked for timestamps."""
MAX_DRAWN = 4096
"""Drawn lines kept for repaints; past that the cache starts again."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line: its time (or ""), its text with SGR sequences only, and that text's width."""

    stamp: str
    text: str
    plain: str
    width: int


def parse_line(raw: str) -> LogLine:
    """Split off the engine's timestamp and make the rest safe (only SGR sequences kept)."""
    match = TIMESTAMP.match(raw)
    stamp = match.group(1) if match else ""
    text = sgr_only(raw[match.end() :] if match else raw)
    plain = strip_sgr(text)
    expanded = plain.expandtabs()
    return LogLine(stamp, text, plain, len(expanded) if expanded.isascii() else cell_len(expanded))


class LogLines:
    """The lines of a log (at most `max_lines`), laid out in rows and searched.

    Lines are numbered by a serial that never changes, so dropping the oldest keeps what
    was drawn and what matched. Without wrapping a line is one row; with it, as many rows
    as its width needs at the view's width.
    """

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        self.show_timestamps = False
        self.wrap = False
        self.query = ""
        """What was searched for ("" for no search)."""
        self.styles: dict[str, Style] = {}
        """Rich styles by name: timestamp, match, current-match."""
        self._lines: list[LogLine] = []
        self._first_serial = 0
        self._max_text_width = 0
        self._max_stamp_width = 0
        self._row_starts: list[int] = []
        self._width = 0
        self._matches: list[int] = []
        """The serials of the lines that match the query, oldest first."""
        self._current = 0
        self._drawn: dict[int, Strip] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def plain_lines(self) -> list[str]:
        """Every line's text, without colours or times."""
        return [line.plain for line in self._lines]

    def shown_text(self) -> str:
        """The log as shown: each line's time if shown, then its text, no colours."""
        if self.show_timestamps:
            return "\n".join(f"{line.stamp} {line.plain}" if line.stamp else line.plain
                             for line in self._lines)  # fmt: skip
        return "\n".join(self.plain_lines())

    @property
    def max_width(self) -> int:
        """The widest line as shown (for sideways scrolling)."""
        stamp = self._max_stamp_width + 1 if self.show_timestamps and self._max_stamp_width else 0
        return self._max_text_width + stamp

    @property
    def row_count(self) -> int:
        """Rows the lines take at the last layout."""
        if self.wrap and self._row_starts:
            return self._row_starts[-1]
        return len(self._lines)

    def add(self, raw_lines: Iterable[str]) -> None:
        """Append lines as the engine sent them; the oldest go beyond max_lines."""
        query = self.query.lower()
        for raw in raw_lines:
            line = parse_line(raw)
            self._max_text_width = max(self._max_text_width, line.width)
            self._max_stamp_width = max(self._max_stamp_width, len(line.stamp))
            if query and query in line.plain.lower():
                self._matches.append(self._first_serial + len(self._lines))
            self._lines.append(line)
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            self._first_serial += excess
            kept = [serial for serial in self._matches if serial >= self._first_serial]
            self._current = max(0, self._current - (len(self._matches) - len(kept)))
            self._matches = kept
        if len(self._drawn) > MAX_DRAWN:
            self._drawn.clear()

    def clear(self) -> None:
        """Forget every line (the search stays, with no match)."""
        self._lines.clear()
        self._matches.clear()
        self._current = 0
        self._drawn.clear()
        self._row_starts = []

    def forget_drawn(self) -> None:
        """Draw every line again (after a toggle or a change of styles)."""
        self._drawn.clear()

    def layout(self, width: int) -> None:
        """Work out the rows at `width` columns (only wrapping depends on it)."""
        self._width = max(1, width)
        if not self.wrap:
            self._row_starts = []
            return
        stamp = self._max_stamp_width + 1 if self.show_timestamps else 0
        counts = (max(1, -(-(line.width + (stamp if line.stamp else 0)) // self._width))
                  for line in self._lines)  # fmt: skip
        self._row_starts = [0, *accumulate(counts)]

    def row(self, y: int, console: Console, width: int) -> Strip | None:
        """The strip of row `y` (uncropped without wrapping), None past the last row."""
        if self.wrap and self._row_starts:
            index = bisect_right(self._row_starts, y) - 1
            if not 0 <= index < len(self._lines):
                return None
            part = y - self._row_starts[index]
            return self._strip(index, console).crop(part * width, (part + 1) * width)
        if not 0 <= y < len(self._lines):
            return None
        return self._strip(y, console)

    def _strip(self, index: int, console: Console) -> Strip:
        serial = self._first_serial + index
        strip = self._drawn.get(serial)
        if strip is None:
            strip = self._drawn[serial] = self._draw(self._lines[index], serial, console)
        return strip

    def _draw(self, line: LogLine, serial: int, console: Console) -> Strip:
        text = Text.from_ansi(line.text, end="")
        text.expand_tabs()
        if self.query:
            current = self._matches and self._matches[self._current] == serial
            style = self.styles.get("current-match" if current else "match", Style(reverse=True))
            text.highlight_regex(re.compile(re.escape(self.query), re.IGNORECASE), style)
        if self.show_timestamps and line.stamp:
            stamp_width = self._max_stamp_width
            text = Text.assemble((line.stamp.ljust(stamp_width) + " ",
                                  self.styles.get("timestamp", Style(dim=True))), text)  # fmt: skip
        return Strip(text.render(console), text.cell_len)

    def search(self, query: str, first_row: int) -> None:
        """Search for `query` (any case); the current match is the first at or after
        `first_row` (else the first one). An empty query ends the search."""
        self.query = query
        self._drawn.clear()
        needle = query.lower()
        self._matches = [self._first_serial + index for index, line in enumerate(self._lines)
                         if needle and needle in line.plain.lower()]  # fmt: skip
        self._current = 0
        for position, serial in enumerate(self._matches):
            if self._row_of(serial - self._first_serial) >= first_row:
                self._current = position
                break

    def step(self, direction: int) -> None:
        """Make the next (1) or previous (-1) match the current one, wrapping around."""
        if self._matches:
            self._current = (self._current + direction) % len(self._matches)
            self._drawn.clear()

    def current_match_row(self) -> int | None:
        """The first row of the current match's line, None without a match."""
        if not self._matches:
            return None
        return self._row_of(self._matches[self._current] - self._first_serial)

    def match_status(self) -> str:
        """"match 2/7 of 'error'", or "no match of 'error'"."""
        if not self._matches:
            return f"no match of {self.query!r}"
        return f"match {self._current + 1}/{len(self._matches)} of {self.query!r}"

    def _row_of(self, index: int) -> int:
        if self.wrap and self._row_starts and index < len(self._row_starts):
            return self._row_starts[index]
        return index
