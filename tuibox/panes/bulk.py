"""Provides run_on_marked: one action on every marked row, reported in one notification."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from textual.notifications import SeverityLevel
from textual.widget import Widget

from tuibox.client.errors import EngineError

ItemT = TypeVar("ItemT")


def summary(outcomes: Sequence[str], failures: Sequence[tuple[str, EngineError]]) -> str:
    """ "3 stopped, 1 failed: db: container db is not running" (outcomes grouped in order)."""
    counts = Counter(outcomes)
    parts = [f"{count} {outcome}" for outcome, count in counts.items()]
    if failures:
        reasons = "; ".join(f"{name}: {err}" for name, err in failures)
        parts.append(f"{len(failures)} failed: {reasons}")
    return ", ".join(parts)


async def run_on_marked(
    pane: Widget,
    items: Sequence[ItemT],
    name_of: Callable[[ItemT], str],
    call: Callable[[ItemT], Awaitable[str]],
    title: str,
) -> None:
    """Call `call` on every item at once and notify how each went, in one notification.

    Args:
        pane: Where the notification comes from.
        items: The marked objects.
        name_of: The name to report an object's failure under.
        call: Acts on one object; returns what happened ("stopped", "already stopped").
        title: The notification's title ("Stop").

    Raises:
        Exception: the first failure that is not an EngineError (a bug, for the app's
            error modal), after the others have been reported.
    """
    results = await asyncio.gather(*(call(item) for item in items), return_exceptions=True)
    outcomes = [result for result in results if isinstance(result, str)]
    failures = [(name_of(item), result) for item, result in zip(items, results, strict=True)
                if isinstance(result, EngineError)]  # fmt: skip
    severity: SeverityLevel = "information" if not failures else "warning" if outcomes else "error"
    text = summary(outcomes, failures)
    if text:
        pane.notify(text, title=title, severity=severity, markup=False)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, EngineError):
            raise result
