"""Soak: `docker run --rm busybox true` 1,000 times in a row, then 1,000 times 4 at a time.

Usage (as root, from the repository root, after scripts/install-deps.sh --dev):
    .venv/bin/python bench/soak.py [--runs 1000] [--parallel 4] [--slow 2.0] [--trace]
                                   [--command "sleep 0.5"] [--json FILE]

One engine started here, with a loopback registry for busybox. Each phase reports the
median, p99 and maximum wall time of the docker CLI and lists every run slower than
`--slow` seconds (the issue: any run over 2 s is a race to find, not noise), with the
engine's log lines of its window. `--trace` puts a relay between the CLI and the engine
socket that timestamps each API request and the first byte of its answer, and prints
those of each slow run. The exit status is 1 when a run failed or was slow.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import DOCKER, ensure_busybox, own_engine_process, seeded_registry  # noqa: E402
from idle_memory import remove_conmon_cgroups  # noqa: E402
from run_bench import unmount_under  # noqa: E402
from soak_trace import ApiTrace  # noqa: E402


@dataclass(frozen=True)
class Run:
    """One `docker run --rm`: when it began (Unix seconds), how long it took, how it ended."""

    started: float
    seconds: float
    returncode: int
    stderr: str


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs per phase")
    parser.add_argument("--parallel", type=int, default=4, help="runs at a time, second phase")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds that make a run slow")
    parser.add_argument("--trace", action="store_true", help="time each API call (a relay)")
    parser.add_argument("--command", default="true", help='what busybox runs, e.g. "sleep 0.5"')
    parser.add_argument("--json", type=Path, help="write every run to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.parallel < 1:
        parser.error("--runs and --parallel must be at least 1")
    return args


def one_run(host: str, docker_config: Path, argv: list[str]) -> Run:
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": str(docker_config)}
    started, clock = time.time(), time.perf_counter()
    try:
        done = subprocess.run([DOCKER, "run", "--rm", *argv], env=env,
                              capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
                              check=False)  # fmt: skip
        code, stderr = done.returncode, done.stderr.decode(errors="replace").strip()
    except subprocess.TimeoutExpired:
        code, stderr = -1, "timed out after 120 s"
    return Run(started, time.perf_counter() - clock, code, stderr)


def phase(host: str, docker_config: Path, argv: list[str], runs: int, parallel: int) -> list[Run]:
    if parallel == 1:
        return [one_run(host, docker_config, argv) for _ in range(runs)]
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(one_run, host, docker_config, argv) for _ in range(runs)]
        return [future.result() for future in futures]


def summary(runs: list[Run], slow: float) -> dict[str, Any]:
    times = sorted(run.seconds for run in runs)
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return {"runs": len(runs), "median_ms": round(statistics.median(times) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(times[-1] * 1000, 1),
            "failed": [asdict(run) for run in runs if run.returncode != 0],
            "slow": [asdict(run) for run in runs if run.seconds > slow]}  # fmt: skip


def log_window(log: Path, start: float, end: float) -> list[str]:
    """The engine's log lines stamped within [start - 1, end + 1] (its asctime, local time)."""
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except ValueError:
            continue
        if start - 1 <= stamp <= end + 1:
            lines.append(line)
    return lines


def soak(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    docker_config = work_dir / "docker-config"
    docker_config.mkdir()
    engine_dir = work_dir / "engine"
    engine_dir.mkdir()
    results: dict[str, Any] = {
        "benchmark": f"docker run --rm busybox {args.command}, soak",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "slow_s": args.slow, "phases": {},
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip
    with (
        seeded_registry(work_dir) as registry,
        own_engine_process(engine_dir, registry.url, registry.host) as (engine_host, _engine),
        ApiTrace(work_dir / "trace.sock", engine_host, enabled=args.trace) as trace,
    ):
        host = trace.host
        argv = [ensure_busybox(host, docker_config, registry), *args.command.split()]
        for _ in range(3):
            one_run(host, docker_config, argv)  # warm-up, untimed
        for name, parallel in (("sequential", 1), (f"parallel {args.parallel}", args.parallel)):
            began = time.monotonic()
            runs = phase(host, docker_config, argv, args.runs, parallel)
            found = summary(runs, args.slow)
            found["wall_s"] = round(time.monotonic() - began, 1)
            found["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
            for slow in found["slow"]:
                end = slow["started"] + slow["seconds"]
                slow["engine_log"] = log_window(engine_dir / "engine.log", slow["started"], end)
                slow["api_calls"] = trace.calls_between(slow["started"], end)
            results["phases"][name] = found
    return results


def report(results: dict[str, Any]) -> str:
    lines = [f"{results['benchmark']} ({results['cpus']} CPUs, load average before "
             + " ".join(f"{x:.2f}" for x in results["loadavg_before"]) + "):"]
    for name, found in results["phases"].items():
        load = " ".join(f"{x:.2f}" for x in found["loadavg_after"])
        lines.append(f"  {name:>12}: {found['runs']} runs in {found['wall_s']} s, median "
                     f"{found['median_ms']} ms, p99 {found['p99_ms']} ms, "
                     f"max {found['max_ms']} ms, "
                     f"{len(found['slow'])} over {results['slow_s']} s, "
                     f"{len(found['failed'])} failed (load after {load})")  # fmt: skip
        for slow in found["slow"]:
            when = datetime.datetime.fromtimestamp(slow["started"]).isoformat(timespec="seconds")
            lines.append(f"    slow: {slow['seconds']:.2f} s from {when}")
            lines += [f"      api {call}" for call in slow["api_calls"]]
            lines += [f"      log {line}" for line in slow["engine_log"]]
        for failed in found["failed"][:5]:
            lines.append(f"    failed ({failed['returncode']}): {failed['stderr'][:200]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-bench-"))
    try:
        results = soak(args, work_dir)
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
        remove_conmon_cgroups()
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    bad = any(found["slow"] or found["failed"] for found in results["phases"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
