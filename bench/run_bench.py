"""Benchmarks `docker run --rm --network none busybox true` through tuibox's engine beside raw
`crun run` of the same bundle shape (a network namespace with loopback only).

Usage (as root, from the repository root):
    .venv/bin/python bench/run_bench.py [--runs 20] [--warmup 3] [--json results.json]
                                        [--host unix:///run/tuibox/engine.sock] [--only crun]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]  # sibling modules, then tuibox itself

from crun_half import crun_bundle, time_crun_runs  # noqa: E402
from engine_half import (  # noqa: E402
    ensure_busybox,
    own_engine,
    seeded_registry,
    time_cli_floor,
    time_docker_runs,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per half (>= 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--host", help="an engine already running, e.g. unix:///path/engine.sock")
    parser.add_argument("--only", choices=["crun", "engine", "both"], default="both")
    args = parser.parse_args(argv)
    if args.runs < 20:
        parser.error("--runs must be at least 20 for an honest median")
    return args


def summary(samples: list[float]) -> dict[str, Any]:
    """Return median, min, max and the samples, all in milliseconds."""
    millis = [round(s * 1000, 3) for s in samples]
    return {"median_ms": round(statistics.median(millis), 3), "min_ms": min(millis),
            "max_ms": max(millis), "samples_ms": millis}


def unmount_under(path: Path) -> None:
    """Unmount every mount point below ``path``, deepest first (leftovers of a failed run)."""
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    for point in sorted((p for p in points if p.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def bench_crun(work_dir: Path, runs: int, warmup: int) -> dict[str, Any]:
    """Time raw `crun run` of `true` in a busybox bundle."""
    crun_root = work_dir / "crun-root"
    with crun_bundle(work_dir / "crun") as bundle:
        return summary(time_crun_runs(bundle, crun_root, runs, warmup))


def bench_engine(work_dir: Path, host: str | None, runs: int, warmup: int) -> dict[str, Any]:
    """Time `docker run --rm busybox true` through the given engine or one started here."""
    docker_config = work_dir / "docker-config"
    docker_config.mkdir()
    with seeded_registry(work_dir) as registry, contextlib.ExitStack() as stack:
        if host is None:
            engine_dir = work_dir / "engine"
            engine_dir.mkdir()
            stack.callback(unmount_under, engine_dir)
            host = stack.enter_context(own_engine(engine_dir, registry.url, registry.host))
        image = ensure_busybox(host, docker_config, registry)
        # The crun bundle has a network namespace with loopback only: compare like with like.
        # What the default bridge adds is bench/net_cost.py's measure.
        result = summary(time_docker_runs(host, docker_config, image, runs, warmup,
                                          ("--network", "none")))  # fmt: skip
        result["host"] = host
        result["image"] = image
        result["docker_cli_floor"] = summary(time_cli_floor(runs))
        return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen halves in one session and return the results document."""
    results: dict[str, Any] = {
        "benchmark": "docker run --rm busybox true vs crun run",
        "runs": args.runs, "warmup": args.warmup,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "host": {"kernel": platform.release(), "machine": platform.machine(),
                 "cpus": os.cpu_count()},
    }
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-bench-"))
    try:
        if args.only in ("crun", "both"):
            results["crun"] = bench_crun(work_dir, args.runs, args.warmup)
        if args.only in ("engine", "both"):
            try:
                results["engine"] = bench_engine(work_dir, args.host, args.runs, args.warmup)
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                results["engine_error"] = str(err)
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    if "crun" in results and "engine" in results:
        results["ratio"] = round(results["engine"]["median_ms"] / results["crun"]["median_ms"], 2)
    return results


def report(results: dict[str, Any]) -> str:
    """Return the human summary: both medians and their ratio."""
    lines = [f"runs: {results['runs']} timed after {results['warmup']} warm-up"]
    if "engine" in results:
        floor = results["engine"]["docker_cli_floor"]["median_ms"]
        lines.append(f"docker run --rm --network none busybox true (tuibox engine): "
                     f"median {results['engine']['median_ms']:.1f} ms "
                     f"(docker CLI start-up alone: {floor:.1f} ms)")
    if "crun" in results:
        lines.append(f"crun run (same bundle shape):                  "
                     f"median {results['crun']['median_ms']:.1f} ms")
    if "ratio" in results:
        lines.append(f"ratio engine/crun: {results['ratio']:.1f}x")
    if "engine_error" in results:
        lines.append(f"engine half FAILED: {results['engine_error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the summary, and write JSON when asked."""
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("run_bench: needs root (crun and the engine create namespaces)", file=sys.stderr)
        return 1
    results = run(args)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 1 if "engine_error" in results else 0


if __name__ == "__main__":
    sys.exit(main())
