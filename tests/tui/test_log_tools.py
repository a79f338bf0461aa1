"""Pilot tests: the Logs tab's colours, timestamps, wrap, search, save and history window."""

from __future__ import annotations

from pathlib import Path

from rich.segment import Segment
from textual.widgets import Input, Static

from tests.conftest import FROZEN_NOW, RUNNING_ID
from tests.tui.conftest import RunApp, Session
from tests.tui.test_container_screen import make_feed, open_screen
from tuibox.client.models import LogChunk
from tuibox.screens.container import ContainerScreen
from tuibox.screens.text_prompt import TextPrompt
from tuibox.widgets.log_view import LogView
from tuibox.widgets.search_bar import SearchBar

LINES = [
    "starting \x1b[32mok\x1b[0m",
    "\x1b[31merror\x1b[0m: disk full \x1b]0;pwned\x07\x1b[2J",
    "listening on :8080",
    "ERROR again",
    "x" * 250,
    "last error",
]


async def logs_screen(
    session: Session, lines: list[str] = LINES
) -> tuple[ContainerScreen, LogView]:
    session.fake.log_chunks = [LogChunk("stdout", "".join(f"{line}\n" for line in lines))]
    screen = await open_screen(session, make_feed(session), initial_tab="logs")
    log = screen.query_one(LogView)
    await session.wait_until(lambda: len(log.lines) == len(lines))
    return screen, log


def row_segments(log: LogView, y: int) -> list[Segment]:
    return list(log.render_line(y - round(log.scroll_y)))


def row_text(log: LogView, y: int) -> str:
    return "".join(segment.text for segment in row_segments(log, y)).rstrip()


def title(screen: ContainerScreen) -> str:
    return str(screen.query_one("#container-title", Static).content)


async def test_colours_pass_and_no_other_sequence_reaches_the_terminal(run_app: RunApp) -> None:
    async with run_app() as session:
        _, log = await logs_screen(session)
        assert log.lines[:2] == ["starting ok", "error: disk full "]
        log.scroll_home(animate=False, immediate=True)
        await session.pilot.pause()
        segments = row_segments(log, 0) + row_segments(log, 1)
        green = [s for s in segments if s.text == "ok"]
        red = [s for s in segments if s.text == "error"]
        assert green and green[0].style is not None and green[0].style.color is not None
        assert green[0].style.color.number == 2  # ANSI green
        assert red and red[0].style is not None and red[0].style.color is not None
        assert red[0].style.color.number == 1  # ANSI red
        text = "".join(segment.text for segment in segments)
        assert not any(c in text for c in "\x1b\x07\x9b"), "only styles, never sequences"
        assert "pwned" not in text


async def test_t_shows_the_engines_timestamps_and_w_wraps(run_app: RunApp) -> None:
    async with run_app() as session:
        screen, log = await logs_screen(session)
        assert session.fake.called("logs") == [(RUNNING_ID, True, 1000, True, None)]
        log.scroll_home(animate=False, immediate=True)
        await session.pilot.pause()
        assert row_text(log, 2) == "listening on :8080"
        await session.press("t")
        assert row_text(log, 2) == "2025-06-15T15:06:43.000000000Z listening on :8080"
        assert "timestamps" in title(screen)
        assert log.shown_text().splitlines()[0] == "2025-06-15T15:06:41.000000000Z starting ok"
        await session.press("t")
        assert row_text(log, 2) == "listening on :8080"
        width = log.scrollable_content_region.width
        assert log.virtual_size.height == len(LINES)
        assert log.virtual_size.width == 250
        await session.press("w")
        assert "wrap" in title(screen)
        rows_of_long_line = -(-250 // width)
        assert log.virtual_size.height == len(LINES) - 1 + rows_of_long_line
        assert log.virtual_size.width == width
        log.scroll_home(animate=False, immediate=True)
        await session.pilot.pause()
        assert row_text(log, 4) == "x" * width and row_text(log, 5).startswith("x")
        assert row_text(log, 4 + rows_of_long_line) == "last error"


async def test_slash_searches_highlights_and_n_moves_between_matches(run_app: RunApp) -> None:
    async with run_app() as session:
        screen, log = await logs_screen(session)
        await session.press("slash")
        bar = screen.query_one("#logs SearchBar", SearchBar)
        assert bar.has_focus and bar.display
        await session.pilot.press(*"error")
        await session.press("enter")
        assert log.has_focus and not bar.display
        assert "match 1/3 of 'error'" in title(screen)
        await session.press("n")
        assert "match 2/3" in title(screen)
        await session.press("n")
        await session.press("n")
        assert "match 1/3" in title(screen), "n wraps past the last match"
        await session.press("N")
        assert "match 3/3" in title(screen)
        current_row = log.log_lines.current_match_row()
        assert current_row == 5
        assert log.scroll_y <= current_row < log.scroll_y + log.scrollable_content_region.height
        highlighted = [s for s in row_segments(log, 3) if s.text == "ERROR"]
        assert highlighted and highlighted[0].style is not None
        assert highlighted[0].style.bgcolor is not None, "every match is highlighted, any case"
        session.fake.log_chunks = []
        log.write_lines(["one more error"])
        await session.pilot.pause()
        assert "match 3/4" in title(screen), "new lines are searched as they come"
        await session.press("slash")
        await session.press("escape")
        assert log.has_focus and "match 3/4" in title(screen), "Esc leaves the search as it was"


async def test_n_before_any_search_says_what_to_do(run_app: RunApp) -> None:
    async with run_app() as session:
        await logs_screen(session)
        await session.press("n")
        assert session.notifications[-1].message == "Search first: / then the text."


async def save_as(session: Session, path: str) -> TextPrompt:
    await session.press("s")
    prompt = session.app.screen
    assert isinstance(prompt, TextPrompt)
    prompt.query_one(Input).value = path
    await session.press("enter")
    return prompt


async def test_s_saves_the_log_as_shown_and_reports_the_path(
    run_app: RunApp, tmp_path: Path
) -> None:
    async with run_app() as session:
        await logs_screen(session)
        await session.press("t")
        target = tmp_path / "web.log"
        await save_as(session, str(target))
        assert isinstance(session.app.screen, ContainerScreen)
        saved = target.read_text().splitlines()
        assert len(saved) == len(LINES)
        assert saved[1] == "2025-06-15T15:06:42.000000000Z error: disk full "
        note = session.notifications[-1]
        assert note.message == f"Saved {len(LINES)} lines to {target}"
        assert note.severity == "information"


async def test_saving_never_overwrites_and_a_failed_write_is_reported(
    run_app: RunApp, tmp_path: Path
) -> None:
    async with run_app() as session:
        await logs_screen(session)
        existing = tmp_path / "kept.log"
        existing.write_text("precious\n")
        prompt = await save_as(session, str(existing))
        assert session.app.screen is prompt, "the prompt stays open"
        assert "exists" in str(prompt.query_one("#name-problem", Static).content)
        await session.press("escape")
        assert existing.read_text() == "precious\n"
        await save_as(session, str(tmp_path / "missing-dir" / "web.log"))
        note = session.notifications[-1]
        assert note.severity == "error" and note.title == "Save failed"
        assert "No such file or directory" in note.message
        assert isinstance(session.app.screen, ContainerScreen), "the app carries on"


async def test_capital_t_follows_again_from_another_window(run_app: RunApp) -> None:
    async with run_app() as session:
        screen, _ = await logs_screen(session)
        await session.press("T")
        prompt = session.app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one(Input).value = "soon"
        await session.press("enter")
        assert "not a window" in str(prompt.query_one("#name-problem", Static).content)
        prompt.query_one(Input).value = "10m"
        await session.press("enter")
        await session.wait_until(lambda: len(session.fake.called("logs")) == 2)
        assert session.fake.called("logs")[1] == (RUNNING_ID, True, "all", True, FROZEN_NOW - 600)
        await session.wait_until(lambda: "all lines · since a time" in title(screen))
        await session.press("T")
        assert isinstance(session.app.screen, TextPrompt)
        session.app.screen.query_one(Input).value = "50"
        await session.press("enter")
        await session.wait_until(lambda: len(session.fake.called("logs")) == 3)
        assert session.fake.called("logs")[2] == (RUNNING_ID, True, 50, True, None)
        await session.wait_until(lambda: "last 50 lines" in title(screen))
