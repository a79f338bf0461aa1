"""SVG snapshots of the panes, the help, the figures and the overview, on fixed fake data."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from tests.conftest import FakeEngineClient, MakeApp
from tests.tui.test_stats_list import busy_engine

TERMINAL_SIZE = (120, 36)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


LONG_LIVED_GROUPS = {"stats", "supervisor", "logs"}
"""Workers that run until stopped (the stats feed's stream): never waited for."""


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the first load of every list (the stats feed has delivered by then)."""
    await pilot.pause()
    workers = [w for w in pilot.app.workers if w.group not in LONG_LIVED_GROUPS]
    if workers:  # an empty list would mean "every worker", the stats feed's too
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


def test_containers_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), run_before=settle, terminal_size=TERMINAL_SIZE)


def test_containers_marked(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), run_before=settle, press=["space", "j", "space"],
                        terminal_size=TERMINAL_SIZE)  # fmt: skip


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


def test_volumes_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["4"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_networks_pane(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["5"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_network_details(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["5", "j", "j", "enter"], run_before=settle,
                        terminal_size=TERMINAL_SIZE)  # fmt: skip


def test_network_subnet_prompt(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    keys = ["5", "c", *"shop", "enter", *"10.9.1.3/16", "enter"]
    assert snap_compare(make_app(), press=keys, run_before=settle, terminal_size=TERMINAL_SIZE)


def test_containers_pane_80_columns(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), run_before=settle, terminal_size=(80, 24))


def test_signal_picker(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["K"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_rename_modal(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    assert snap_compare(make_app(), press=["n"], run_before=settle, terminal_size=TERMINAL_SIZE)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_figures(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient,
    size: tuple[int, int],
) -> None:  # fmt: skip
    busy_engine(fake_client)
    assert snap_compare(make_app(), run_before=settle, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_overview_by_cpu(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient,
    size: tuple[int, int],
) -> None:  # fmt: skip
    busy_engine(fake_client)
    assert snap_compare(make_app(), press=["o"], run_before=settle, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_overview_by_memory(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient,
    size: tuple[int, int],
) -> None:  # fmt: skip
    busy_engine(fake_client)
    assert snap_compare(make_app(), press=["o", "m"], run_before=settle, terminal_size=size)
