"""Measures the engine's CPU while it samples 20 and 200 running containers at 1 Hz.

Usage (as root, from the repository root, after scripts/install-deps.sh --dev):
    .venv/bin/python bench/stats_cost.py [--seconds 30] [--counts 20,200] [--json FILE]

One engine started here, one session: first idle (no container) for the baseline, then
with N busybox `sleep` containers running, tuibox's batched stream and `docker stats` (all
containers) open the whole time. It prints, for each phase, the engine's CPU in % of one
core over the window, its ratio to the idle phase, and the engine's memory growth per
container (RSS, which includes the 15-minute history rings).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import DOCKER, docker, ensure_busybox, own_engine_process, seeded_registry  # noqa: E402
from run_bench import unmount_under  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window per phase")
    parser.add_argument("--counts", default="20,200", help="container counts, comma-separated")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    return parser.parse_args(argv)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(pid: int, seconds: float) -> float:
    """The process's CPU over `seconds` of wall time, in % of one core."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started) * 100


class Readers:
    """tuibox's batched stream and `docker stats`, both kept open and read to the end."""

    def __init__(self, host: str, docker_config: Path) -> None:
        self.host = host
        self.docker_config = docker_config
        self.lines = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_batched, daemon=True)
        env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": str(docker_config)}
        self._stats = subprocess.Popen([DOCKER, "stats", "--format", "{{.ID}} {{.CPUPerc}}"],
                                       env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)  # fmt: skip
        self._thread.start()

    def _read_batched(self) -> None:
        transport = httpx.HTTPTransport(uds=self.host.removeprefix("unix://"))
        timeout = httpx.Timeout(10, read=None)
        with (
            httpx.Client(transport=transport, base_url="http://engine", timeout=timeout) as client,
            client.stream("GET", "/tuibox/v1/stats") as response,
        ):
            for _ in response.iter_lines():
                self.lines += 1
                if self._stop.is_set():
                    return

    def close(self) -> None:
        self._stop.set()
        self._stats.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._stats.wait(10)


def start_containers(host: str, docker_config: Path, image: str, count: int) -> None:
    for _ in range(count):
        result = docker(host, docker_config, "run", "-d", image, "sleep", "3600")
        if result.returncode != 0:
            raise RuntimeError(f"docker run failed: {result.stderr.strip()}")


def remove_all(host: str, docker_config: Path) -> None:
    ids = docker(host, docker_config, "ps", "-aq").stdout.split()
    for chunk in range(0, len(ids), 50):
        docker(host, docker_config, "rm", "-f", *ids[chunk:chunk + 50])


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = sorted(int(c) for c in args.counts.split(","))
    results: dict[str, Any] = {
        "benchmark": "engine CPU while sampling N running containers at 1 Hz",
        "seconds": args.seconds,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "phases": [],
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
                    idle = measure(engine.pid, args.seconds)
                    results["phases"].append({"containers": 0, "cpu_percent": round(idle, 2)})
                    rss_idle = rss_bytes(engine.pid)
                    running = 0
                    for count in counts:
                        start_containers(host, docker_config, image, count - running)
                        running = count
                        time.sleep(5)  # every container sampled a few times first
                        readers = Readers(host, docker_config)
                        try:
                            time.sleep(2)
                            busy = measure(engine.pid, args.seconds)
                        finally:
                            readers.close()
                        growth = (rss_bytes(engine.pid) - rss_idle) / count
                        results["phases"].append({
                            "containers": count, "cpu_percent": round(busy, 2),
                            "ratio_to_idle": round(busy / idle, 1) if idle else None,
                            "rss_growth_per_container_kb": round(growth / 1024, 1),
                            "batched_lines_read": readers.lines,
                        })  # fmt: skip
                finally:
                    remove_all(host, docker_config)
            unmount_under(engine_dir)
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def report(results: dict[str, Any]) -> str:
    lines = [f"engine CPU over {results['seconds']:.0f} s windows ({results['cpus']} CPUs):"]
    for phase in results["phases"]:
        line = f"  {phase['containers']:>4} containers: {phase['cpu_percent']:6.2f} % of one core"
        if "ratio_to_idle" in phase:
            growth = phase["rss_growth_per_container_kb"]
            line += f"  ({phase['ratio_to_idle']}x idle; memory +{growth} KB per container)"
        lines.append(line)
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
