"""How often the pull dialog redraws under a chatty pull stream, and what each event costs.

Usage (from the repository root):
    .venv/bin/python bench/pull_dialog.py [--layers 8] [--seconds 3] [--rate 400]

A headless app shows TransferDialog over a scripted stream: `--layers` layers downloading
at once, `--rate` progress lines a second in all (dockerd sends about 10 a second per layer),
for `--seconds`. It prints the lines applied, the redraws and redraws a second (the dialog's
cap is 4), and the CPU time the app took per line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path[:1] = [str(Path(__file__).resolve().parent.parent)]

from textual.app import App  # noqa: E402

from tuibox.client.progress import ProgressEvent  # noqa: E402
from tuibox.screens.transfer_dialog import TransferDialog  # noqa: E402

LAYER_BYTES = 50_000_000


async def chatty_stream(layers: int, seconds: float, rate: float) -> AsyncIterator[ProgressEvent]:
    """Per-layer Downloading lines at `rate` a second in all, then each layer complete."""
    ids = [f"{index:012x}" for index in range(layers)]
    yield ProgressEvent("Pulling from bench/app", "latest")
    for layer_id in ids:
        yield ProgressEvent("Pulling fs layer", layer_id)
    start = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - start) < seconds:
        layer_id = ids[sent % layers]
        done = int(LAYER_BYTES * min(1.0, elapsed / seconds))
        yield ProgressEvent("Downloading", layer_id, done, LAYER_BYTES)
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    for layer_id in ids:
        yield ProgressEvent("Pull complete", layer_id)


class BenchApp(App[None]):
    """Only the dialog."""

    def __init__(self, dialog: TransferDialog) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


async def measure(layers: int, seconds: float, rate: float) -> tuple[int, int, float, float]:
    """(lines applied, redraws, wall seconds, app CPU seconds)."""
    dialog = TransferDialog("Pull", "bench/app:latest",
                            lambda: chatty_stream(layers, seconds, rate))  # fmt: skip
    app = BenchApp(dialog)
    cpu_before, wall_before = time.process_time(), time.monotonic()
    async with app.run_test(size=(120, 36)) as pilot:
        while dialog.state == "running":
            await pilot.pause(0.05)
    return (dialog.progress.events, dialog.redraws, time.monotonic() - wall_before,
            time.process_time() - cpu_before)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run once and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=400.0, help="progress lines a second")
    args = parser.parse_args(argv)
    events, redraws, wall, cpu = asyncio.run(measure(args.layers, args.seconds, args.rate))
    print(f"pull_dialog: {events} lines in {wall:.1f} s ({events / wall:.0f}/s), {redraws} "
          f"redraws ({redraws / wall:.1f}/s), app CPU {cpu:.2f} s "
          f"({1e6 * cpu / events:.0f} µs a line, drawing included)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
