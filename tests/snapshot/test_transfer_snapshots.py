"""SVG snapshots of the pull and push dialogs mid-way and at their end (fake engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from textual.pilot import Pilot

from tests.conftest import FakeEngineClient, MakeApp
from tests.fake_registry import MB
from tests.snapshot.test_snapshots import settle
from tuibox.client.progress import ProgressEvent
from tuibox.screens.transfer_dialog import StreamFactory, TransferDialog

TERMINAL_SIZE = (110, 30)
IDS = ("3f4ca1d2e0b7", "9b1e22c0a4d8", "c0ffee123456", "77aa00bb11cc")


def mid_pull(reference: str) -> list[ProgressEvent]:
    """A pull of four layers: one done, one extracting, one downloading, one already there."""
    done, extracting, downloading, present = IDS
    return [
        ProgressEvent("Pulling from team/app", "v2"),
        *(ProgressEvent("Pulling fs layer", layer) for layer in IDS[:3]),
        ProgressEvent("Already exists", present),
        ProgressEvent("Downloading", done, 2 * MB, 2 * MB),
        ProgressEvent("Pull complete", done),
        ProgressEvent("Downloading", extracting, 31 * MB, 31 * MB),
        ProgressEvent("Verifying Checksum", extracting),
        ProgressEvent("Extracting", extracting, 12 * MB, 31 * MB),
        ProgressEvent("Downloading", downloading, 40 * MB, 120 * MB),
        ProgressEvent("Downloading", downloading, 52 * MB, 120 * MB),
    ]


def opened(fake: FakeEngineClient, dialog: Callable[[], TransferDialog],
           events: int) -> Callable[[Pilot[Any]], Any]:  # fmt: skip
    """run_before: settle the lists, open the dialog and wait for `events` lines."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = dialog()
        await pilot.app.push_screen(screen)
        while screen.progress.events < events:
            await pilot.pause(0.01)
        await pilot.pause()

    return run_before


def transfer_dialog(verb: Literal["Pull", "Push"], reference: str,
                    start: StreamFactory) -> TransferDialog:  # fmt: skip
    """A dialog whose clock moves half a second with each line it reads (whatever the timer
    does), so every line is drawn and the rates are the same on every run."""
    made: list[TransferDialog] = []
    made.append(TransferDialog(verb, reference, start,
                               clock=lambda: made[0].progress.events * 0.5))  # fmt: skip
    return made[0]


def test_pull_dialog_mid_way(snap_compare: Callable[..., bool], make_app: MakeApp,
                             fake_client: FakeEngineClient) -> None:  # fmt: skip
    fake_client.hold_stream = True
    reference = "localhost:5000/team/app:v2"

    def dialog() -> TransferDialog:
        return transfer_dialog("Pull", reference, lambda: fake_client.pull_image(reference))

    fake_client.pull_script = mid_pull
    run_before = opened(fake_client, dialog, len(mid_pull(reference)))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=TERMINAL_SIZE)


def test_push_dialog_done(snap_compare: Callable[..., bool], make_app: MakeApp,
                          fake_client: FakeEngineClient) -> None:  # fmt: skip
    reference = "busybox:latest"

    def dialog() -> TransferDialog:
        return transfer_dialog("Push", reference, lambda: fake_client.push_image(reference))

    run_before = opened(fake_client, dialog, len(fake_client.push_script(reference)))
    assert snap_compare(make_app(), run_before=run_before, terminal_size=TERMINAL_SIZE)
