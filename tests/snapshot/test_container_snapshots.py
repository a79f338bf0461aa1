"""SVG snapshots of the container screen's Stats tab, on the scripted series and a frozen clock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from tests.conftest import (
    FROZEN_NOW,
    RUNNING_ID,
    FakeEngineClient,
    MakeApp,
    sample_details,
    sample_network_settings,
    scripted_host,
    scripted_sample,
)
from tuibox.client.models import LogChunk
from tuibox.client.protocol import EngineClientProtocol
from tuibox.client.stats_models import StatsBatch
from tuibox.screens.container import ContainerScreen
from tuibox.stats_feed import StatsFeed

LONG_LIVED_GROUPS = {"stats", "supervisor", "logs"}
"""Workers that run until stopped: never waited for."""

RunBefore = Callable[[Pilot[Any]], Any]


async def _settle(pilot: Pilot[Any]) -> None:
    """Wait for the short-lived workers (an empty list would mean all, the feed's too)."""
    await pilot.pause()
    workers = [w for w in pilot.app.workers if w.group not in LONG_LIVED_GROUPS]
    if workers:
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


def open_container_screen(fake: FakeEngineClient) -> RunBefore:
    """Open the running container's screen: 15 minutes of history, then one feed batch."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        client: EngineClientProtocol = fake
        feed = StatsFeed(client, clock=lambda: FROZEN_NOW)
        time = FROZEN_NOW + 1
        feed._deliver(StatsBatch(time, scripted_host(time),
                                 {RUNNING_ID: scripted_sample(901, time)}))  # fmt: skip
        web = next(c for c in fake.containers if c.id == RUNNING_ID)
        await pilot.app.push_screen(ContainerScreen(fake, feed, web, clock=lambda: FROZEN_NOW))
        await _settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_container_stats_tab(
    snap_compare: Callable[..., bool],
    make_app: MakeApp,
    fake_client: FakeEngineClient,
    size: tuple[int, int],
) -> None:
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client),
                        terminal_size=size)  # fmt: skip


def test_container_inspect_tab(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient
) -> None:
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client), press=["3"],
                        terminal_size=(80, 24))  # fmt: skip


@pytest.mark.parametrize("tab", ["4", "5", "6", "7"], ids=["processes", "env", "mounts", "health"])
def test_container_detail_tabs(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient, tab: str
) -> None:
    fake_client.inspect_extra[RUNNING_ID] = sample_details()
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client), press=[tab],
                        terminal_size=(80, 24))  # fmt: skip


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_container_network_tab(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient,
    size: tuple[int, int],
) -> None:  # fmt: skip
    fake_client.inspect_extra[RUNNING_ID] = sample_network_settings()
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client), press=["8"],
                        terminal_size=size)  # fmt: skip


def test_container_no_healthcheck(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient
) -> None:
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client), press=["7"],
                        terminal_size=(80, 24))  # fmt: skip


LOG_LINES = (
    "starting \x1b[32mok\x1b[0m\n\x1b[1;31merror\x1b[0m: disk full\x1b]0;pwned\x07\n"
    "listening on :8080\nERROR again\n" + "long " * 30 + "end\nlast error\n"
)


def open_logs(fake: FakeEngineClient) -> RunBefore:
    """Open the running container's Logs tab with coloured lines, then search for "error"."""
    fake.log_chunks = [LogChunk("stdout", LOG_LINES)]

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_container_screen(fake)(pilot)
        await pilot.press("2")
        await _settle(pilot)
        await pilot.pause(0.3)  # the 0.1 s flush timer

    return run_before


@pytest.mark.parametrize("keys", [[], ["t", "w"], ["slash", *"error", "enter", "n"]],
                         ids=["colours", "timestamps-wrap", "search"])  # fmt: skip
def test_container_logs_tab(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient,
    keys: list[str],
) -> None:  # fmt: skip
    assert snap_compare(make_app(), run_before=open_logs(fake_client), press=keys,
                        terminal_size=(80, 24))  # fmt: skip


def test_container_inspect_search(
    snap_compare: Callable[..., bool], make_app: MakeApp, fake_client: FakeEngineClient
) -> None:
    assert snap_compare(make_app(), run_before=open_container_screen(fake_client),
                        press=["3", "slash", *"a=b", "enter"], terminal_size=(80, 24))  # fmt: skip
