"""Provides LogsPane: the container screen's Logs tab (the log, its search bar, save, window)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual import on, work

from tuibox.screens.log_window import WINDOW_HELP, parse_window, window_problem
from tuibox.screens.text_prompt import TextPrompt
from tuibox.widgets.log_view import LogView
from tuibox.widgets.search_bar import Searching


class LogsPane(Searching):
    """A LogView with its search bar; asks where `s` saves and which window `T` shows."""

    def __init__(self, view: LogView, *, clock: Callable[[], float]) -> None:
        super().__init__(view)
        self.log_view = view
        self.clock = clock

    @on(LogView.SaveRequested)
    def _ask_save_path(self) -> None:
        def on_path(text: str | None) -> None:
            if text:
                self.save_log(text)

        prompt = TextPrompt("Save the log as shown to", f"{self.log_view.container.name}.log",
                            help_text="A new file (relative to the directory tuibox runs in).",
                            check=save_path_problem)  # fmt: skip
        self.app.push_screen(prompt, on_path)

    @work(group="save-log", exit_on_error=False)
    async def save_log(self, path_text: str) -> None:
        """Write the log as shown (times if shown, no colours) to a new file at `path_text`."""
        path = Path(path_text).expanduser()
        text = self.log_view.shown_text()
        try:
            await asyncio.to_thread(write_new_file, path, text + "\n" if text else "")
        except OSError as err:
            self.notify(f"Could not save the log to {path}: {err.strerror or err}",
                        title="Save failed", severity="error", markup=False)  # fmt: skip
            return
        count = text.count("\n") + 1 if text else 0
        self.notify(f"Saved {count} line{'' if count == 1 else 's'} to {path.resolve()}",
                    title="Log saved", markup=False)  # fmt: skip

    @on(LogView.WindowRequested)
    def _ask_window(self) -> None:
        def on_window(text: str | None) -> None:
            if text:
                tail, since = parse_window(text, self.clock())
                self.log_view.set_window(tail, since)

        prompt = TextPrompt("Show the logs from", str(self.log_view.tail), help_text=WINDOW_HELP,
                            check=window_problem)  # fmt: skip
        self.app.push_screen(prompt, on_window)


def save_path_problem(text: str) -> str | None:
    """What stops the log from being saved at `text`, None when it may be tried."""
    path = Path(text).expanduser()
    if path.is_dir():
        return f"{path} is a directory: add a file name."
    if path.exists():
        return f"{path} exists: choose another name (nothing is overwritten)."
    return None


def write_new_file(path: Path, text: str) -> None:
    """Write `text` to a file that must not exist yet (FileExistsError otherwise)."""
    with path.open("x", encoding="utf-8") as file:
        file.write(text)
