"""Times docker save and docker load of a 100 MB image through a tuibox engine.

Usage (as root, from the repository root):
    .venv/bin/python bench/save_load.py [--runs 5]

The image is busybox plus one committed layer of 100 MB of random bytes and 2,000 small
files. Each run saves it to a file (`docker save -o`), removes it (`docker rmi`, which
takes its layer dirs away) and loads the file back (`docker load -i`, which unpacks and
verifies every layer again); it prints the median and every sample of both. The first
save writes the committed layer again from its unpacked files; later ones rebuild it
from the tar-split the load recorded. The engine runs in a throwaway network namespace.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import docker, ensure_busybox, own_engine, seeded_registry  # noqa: E402
from run_bench import unmount_under  # noqa: E402

MAKE_LAYER = ("head -c 100000000 /dev/urandom > /big; mkdir /many; "
              "for i in $(seq 2000); do echo $i > /many/$i; done")  # fmt: skip


def _timed(host: str, config: Path, *args: str) -> float:
    started = time.monotonic()
    done = docker(host, config, *args)
    if done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()}")
    return time.monotonic() - started


def measure(runs: int) -> tuple[list[float], list[float], int]:
    """(save seconds, load seconds, archive bytes) over `runs` save-rmi-load rounds."""
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-save-load-", dir="/tmp"))
    config = work_dir / "docker-config"
    config.mkdir()
    archive = work_dir / "big.tar"
    saves: list[float] = []
    loads: list[float] = []
    try:
        with seeded_registry(work_dir) as registry:
            engine_dir = work_dir / "engine"
            engine_dir.mkdir()
            with own_engine(engine_dir, registry.url, registry.host) as host:
                image = ensure_busybox(host, config, registry)
                _timed(host, config, "run", "--name", "big", image, "sh", "-c", MAKE_LAYER)
                _timed(host, config, "commit", "big", "big:1")
                _timed(host, config, "rm", "big")
                for _ in range(runs):
                    saves.append(_timed(host, config, "save", "-o", str(archive), "big:1"))
                    _timed(host, config, "rmi", "big:1")
                    loads.append(_timed(host, config, "load", "-i", str(archive)))
                size = archive.stat().st_size
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    return saves, loads, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    saves, loads, size = measure(args.runs)
    for name, samples in (("save", saves), ("load", loads)):
        shown = ", ".join(f"{s:.2f}" for s in samples)
        print(f"{name}: median {statistics.median(samples):.2f} s ({shown})")
    print(f"archive: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
