"""Pilot tests: the container screen's Logs tab under a flood of output, control sequences."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from tests.tui.conftest import RunApp
from tuibox.client.models import LogChunk
from tuibox.screens import ContainerScreen, MainScreen
from tuibox.widgets.log_view import MAX_LOG_LINES, LogView

LINES_PER_CHUNK = 200


async def flood() -> AsyncIterator[LogChunk]:
    """Endless output, as fast as the loop lets it through (a read per 20 chunks)."""
    number = 0
    while True:
        for _ in range(20):
            text = "".join(f"line {number + i} of a busy container\n"
                           for i in range(LINES_PER_CHUNK))
            number += LINES_PER_CHUNK
            yield LogChunk("stdout", text)
        await asyncio.sleep(0)


async def test_log_flood_is_batched_capped_and_escape_answers_at_once(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.log_source = flood
        await session.pilot.press("l")
        screen = session.app.screen
        assert isinstance(screen, ContainerScreen)  # on its Logs tab
        log = screen.query_one(LogView)
        batches: list[int] = []
        write_lines = log.write_lines

        def counting_write_lines(lines: Any, scroll_end: bool | None = None) -> LogView:
            batch = list(lines)
            batches.append(len(batch))
            return write_lines(batch, scroll_end)

        log.write_lines = counting_write_lines  # type: ignore[method-assign]
        await session.wait_until(lambda: len(batches) >= 5)
        assert len(log.lines) == MAX_LOG_LINES, "the log keeps at most MAX_LOG_LINES lines"
        assert max(batches) > LINES_PER_CHUNK, "lines are written in batches, not one by one"
        assert log.lines[-1].startswith("line ") and log.lines[-1].endswith("busy container")
        started = time.monotonic()
        await session.pilot.press("escape")
        await session.wait_until(lambda: isinstance(session.app.screen, MainScreen), timeout=2)
        assert time.monotonic() - started < 1.0, "Esc waited behind the flood"
        await session.wait_until(
            lambda: all(not w.is_running for w in session.app.workers if w.group == "logs")
        )


async def test_log_lines_lose_terminal_control_sequences(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.log_chunks = [
            LogChunk("stdout", "\x1b[2J\x1b[H\x1b]52;c;SGVsbG8=\x07cleared?\n"),
            LogChunk("stderr", "\x1b[31mred\x1b[0m\tbell\x07 title\x1b]0;pwned\x1b\\ end\n"),
            LogChunk("stdout", "10%\r55%\r\n\n[bold]not markup[/]\n"),
        ]
        session.fake.log_release.set()
        await session.press("l")
        log = session.app.screen.query_one(LogView)
        await session.wait_until(lambda: len(log.lines) == 6)
        assert log.lines == [
            "cleared?",
            "red\tbell title end",
            "55%",
            "",
            "[bold]not markup[/]",
            "— end of log stream —",
        ]
