"""Measures the TUI's CPU (and output) on a real engine with 0 and 200 running containers.

Usage (as root, from the repository root, after scripts/install-deps.sh --dev):
    .venv/bin/python bench/tui_cpu.py [--counts 200] [--seconds 30] [--size 80x24]
                                      [--json FILE]

One engine and one loopback registry started here, one session. For each phase (first
no container at all, the baseline; then N busybox `sleep` containers running), `tuibox
--host` runs on a pty of the given size, showing the containers pane with the batched
stats stream flowing, the list polled each second over the API, every figure drawn; after
a warm-up the TUI's CPU time and the bytes it writes are counted over the window. The
containers have been up for `--settle` seconds when it starts (60 by default: their STATUS
then reads "Up About a minute" for the whole window, as a list that has been up a while
does, instead of 200 "Up N seconds" cells changing every second; `--settle 0` measures
that case). The engine's CPU over the same window is printed beside it. Everything is stopped
and removed at the end, also after a failure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import ensure_busybox, own_engine_process, seeded_registry  # noqa: E402
from run_bench import unmount_under  # noqa: E402
from stats_cost import cpu_seconds, remove_all, start_containers  # noqa: E402
from tui_output import on_pty  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="200", help="container counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window per phase")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before counting")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds after starting the containers before the TUI starts")
    parser.add_argument("--size", default="80x24", help="COLUMNSxROWS of the pty")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    return parser.parse_args(argv)


def measure_tui(host: str, engine_pid: int, args: argparse.Namespace) -> dict[str, float]:
    """Run the TUI against `host` on a pty; its CPU %, bytes/s and the engine's CPU %."""
    command = [sys.executable, "-m", "tuibox", "--host", host]
    engine_before = cpu_seconds(engine_pid)
    started = time.monotonic()
    window, tui_cpu = on_pty(command, args.size, args.warmup, args.seconds)
    # The engine's share: its whole run scaled to the window (it serves the warm-up too).
    engine_share = (cpu_seconds(engine_pid) - engine_before) / (time.monotonic() - started)
    return {
        "tui_cpu_percent": round(tui_cpu / args.seconds * 100, 2),
        "tui_output_bytes_per_second": round(len(window) / args.seconds),
        "engine_cpu_percent": round(engine_share * 100, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = sorted(int(c) for c in args.counts.split(","))
    results: dict[str, Any] = {
        "benchmark": "TUI CPU with N running containers listed and stats flowing",
        "seconds": args.seconds, "size": args.size, "cpus": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "phases": [],
    }  # fmt: skip
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-bench-"))
    docker_config = work_dir / "docker-config"
    docker_config.mkdir()
    try:
        with seeded_registry(work_dir) as registry:
            engine_dir = work_dir / "engine"
            engine_dir.mkdir()
            with own_engine_process(engine_dir, registry.url, registry.host) as (host, engine):
                try:
                    image = ensure_busybox(host, docker_config, registry)
                    baseline = measure_tui(host, engine.pid, args)
                    results["phases"].append({"containers": 0, **baseline})
                    running = 0
                    for count in counts:
                        start_containers(host, docker_config, image, count - running)
                        running = count
                        time.sleep(args.settle)  # "Up About a minute": statuses stay put
                        phase = measure_tui(host, engine.pid, args)
                        base = baseline["tui_cpu_percent"]
                        ratio = round(phase["tui_cpu_percent"] / base, 1) if base else None
                        results["phases"].append({"containers": count, **phase,
                                                  "tui_ratio_to_baseline": ratio})  # fmt: skip
                finally:
                    remove_all(host, docker_config)
            unmount_under(engine_dir)
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def report(results: dict[str, Any]) -> str:
    lines = [f"tuibox --host on a {results['size']} pty, {results['seconds']:.0f} s windows "
             f"({results['cpus']} CPUs):"]  # fmt: skip
    for phase in results["phases"]:
        ratio = phase.get("tui_ratio_to_baseline")
        lines.append(
            f"  {phase['containers']:>4} containers: TUI {phase['tui_cpu_percent']:5.2f} % "
            f"of one core{f' ({ratio}x baseline)' if ratio else ''}, "
            f"{phase['tui_output_bytes_per_second']} B/s out; "
            f"engine {phase['engine_cpu_percent']:.2f} %"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
