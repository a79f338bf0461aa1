"""Benchmarks what networking costs a run: `docker run --rm busybox true` on the default bridge
beside `--network none`, in the same session, rounds interleaved so load drift hits both.

Usage (as root, from the repository root):
    .venv/bin/python bench/net_cost.py [--runs 30] [--warmup 3] [--json results.json]
                                       [--host unix:///run/tuibox/engine.sock]
Goal: the default bridge adds at most 15 ms per container (docker: 282 ms against 219 ms on
this machine kind). The engine started here runs in a throwaway network namespace
(bench/netns.py): its bridge, veths and rules never touch the host's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import ensure_busybox, own_engine, seeded_registry, time_docker_runs  # noqa: E402
from run_bench import summary, unmount_under  # noqa: E402

ROUND = 5
"""Runs of one kind before switching to the other."""


def measure(host: str | None, runs: int, warmup: int) -> dict[str, Any]:
    """Interleave rounds of `--network none` and default-bridge runs; both summaries."""
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-netbench-"))
    samples: dict[str, list[float]] = {"none": [], "bridge": []}
    try:
        docker_config = work_dir / "docker-config"
        docker_config.mkdir()
        with seeded_registry(work_dir) as registry, contextlib.ExitStack() as stack:
            if host is None:
                engine_dir = work_dir / "engine"
                engine_dir.mkdir()
                stack.callback(unmount_under, engine_dir)
                host = stack.enter_context(own_engine(engine_dir, registry.url, registry.host))
            image = ensure_busybox(host, docker_config, registry)
            for options in (("--network", "none"), ()):
                time_docker_runs(host, docker_config, image, 0, warmup, options)
            while len(samples["bridge"]) < runs:
                for kind, options in (("none", ("--network", "none")), ("bridge", ())):
                    samples[kind] += time_docker_runs(host, docker_config, image, ROUND, 0,
                                                      options)  # fmt: skip
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    none, bridge = summary(samples["none"]), summary(samples["bridge"])
    return {
        "benchmark": "docker run --rm busybox true: default bridge vs --network none",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load": os.getloadavg(), "none": none, "bridge": bridge,
        "added_ms": round(bridge["median_ms"] - none["median_ms"], 1),
        "added_ms_paired": round(statistics.median(
            b - n for b, n in zip(bridge["samples_ms"], none["samples_ms"], strict=False)), 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each kind (>= 20)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--host", help="an engine already running, e.g. unix:///path/engine.sock")
    args = parser.parse_args(argv)
    if args.runs < 20:
        parser.error("--runs must be at least 20 for an honest median")
    if os.geteuid() != 0:
        print("net_cost: needs root", file=sys.stderr)
        return 2
    results = measure(args.host, args.runs, args.warmup)
    print(f"--network none: median {results['none']['median_ms']:.1f} ms")
    print(f"default bridge: median {results['bridge']['median_ms']:.1f} ms")
    print(f"networking adds {results['added_ms']:.1f} ms (goal <= 15 ms); "
          f"load {results['load'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
