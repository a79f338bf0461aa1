"""SVG snapshots of the image detail screen: the layer explorer on a layer that removes files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from tests.conftest import MakeApp
from tests.snapshot.test_snapshots import settle

TERMINAL_SIZE = (120, 36)


def pressing(*keys: str) -> Callable[[Pilot[Any]], Any]:
    """A run_before that presses each key and waits for the workers it started."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_layers_tab_on_the_top_layer(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    run_before = pressing("2", "j", "enter", "3", "down", "down")
    assert snap_compare(make_app(), run_before=run_before, terminal_size=TERMINAL_SIZE)


def test_history_tab(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    run_before = pressing("2", "j", "enter")
    assert snap_compare(make_app(), run_before=run_before, terminal_size=TERMINAL_SIZE)
