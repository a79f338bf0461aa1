"""SVG snapshots of the three panes and the help screen, on fixed fake data and a frozen clock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from tests.conftest import MakeApp

TERMINAL_SIZE = (120, 36)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the first load of every list."""
    await pilot.pause()
    with contextlib.suppress(WorkerCancelled, WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_containers_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), run_before=settle, terminal_size=TERMINAL_SIZE)


def test_images_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["2"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_registries_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["3"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_help_screen(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(
        make_app(), press=["question_mark"], run_before=settle, terminal_size=TERMINAL_SIZE
    )


def test_delete_confirm_modal(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(
        make_app(), press=["j", "d"], run_before=settle, terminal_size=TERMINAL_SIZE
    )
