"""Benchmarks a cold pull: a 150 MB image of five gzip layers from a loopback registry,
beside a raw fetch of the same blobs in the same session, with where the time goes and the
disk the pulled image takes.

Usage (as root, from the repository root):
    .venv/bin/python bench/pull_bench.py [--runs 5] [--json results.json]
Goals: median cold pull at most 1.0 s and at most 6x the raw fetch; disk used by the pulled
image at most 1.1x its layers' unpacked size (du of the layer directories). The engine runs
in a throwaway network namespace (bench/netns.py), and so does the registry: both talk over
that namespace's loopback, as an engine and a registry on one host's loopback do, with no
relay between them (a relay in Python would add its own copies and CPU to both figures).
The raw fetch runs in that namespace too, so both pay the same path.

The engine's data root is a fresh ext4 (with a journal, as a default Debian install makes
it) on a loop device, `--fs loop`, the default: this machine kind's root filesystem is an
ext4 without a journal, where the kernel skips every inode freed in the last 30 s when it
allocates one (`recently_deleted`), so creating 24,000 files after any large deletion on
the machine (other tests, the previous round's rmi) costs 0.5 ms a file instead of 0.025 ms
and the figures swing from 1.7 s to 11 s. `--fs host` measures on the root filesystem
instead (give it `--settle 35` then). Between pulls the bench removes the image, syncs, and
waits `--settle` seconds (5 by default).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from isal import igzip

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from engine_half import own_engine_process  # noqa: E402
from netns import bench_namespace  # noqa: E402
from pull_image import build_pull_image, unpacked_bytes  # noqa: E402
from run_bench import unmount_under  # noqa: E402

from tuibox.demo.images import BuiltImage  # noqa: E402
from tuibox.demo.push import push_image  # noqa: E402
from tuibox.demo.registry import LocalRegistry  # noqa: E402
from tuibox.engine.layers.ingest import sync_filesystem  # noqa: E402
from tuibox.engine.layers.unpack import UnpackLimits, unpack_stream  # noqa: E402
from tuibox.engine.layers.writers.pool import WriterPool  # noqa: E402

REPOSITORY = "bench/pull"


def raw_fetch(registry_url: str, image: BuiltImage) -> float:
    """Seconds to GET the manifest, config and every layer blob, one after another."""
    started = time.perf_counter()
    with httpx.Client(base_url=registry_url, timeout=60) as client:
        client.get(f"/v2/{REPOSITORY}/manifests/latest",
                   headers={"Accept": image.manifest.media_type}).raise_for_status()  # fmt: skip
        for blob in (image.config, *image.layers):
            with client.stream("GET", f"/v2/{REPOSITORY}/blobs/{blob.digest}") as response:
                response.raise_for_status()
                for _chunk in response.iter_raw(1 << 20):
                    pass
    return time.perf_counter() - started


def engine_pull(host: str, reference: str) -> tuple[float, list[tuple[float, dict[str, Any]]]]:
    """Seconds for POST /images/create to stream to its end; each message with its time."""
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    messages: list[tuple[float, dict[str, Any]]] = []
    name, tag = reference.rsplit(":", 1)
    started = time.perf_counter()
    with httpx.Client(transport=transport, base_url="http://engine", timeout=120) as client:
        params = {"fromImage": name, "tag": tag}
        with client.stream("POST", "/v1.44/images/create", params=params) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.strip():
                    message = json.loads(line)
                    if "error" in message:
                        raise RuntimeError(f"pull failed: {message['error']}")
                    messages.append((time.perf_counter() - started, message))
    return time.perf_counter() - started, messages


def remove_image(host: str, reference: str) -> None:
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://engine", timeout=60) as client:
        client.delete(f"/v1.44/images/{reference}").raise_for_status()


def phases(messages: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    """Per phase, the seconds from its first message to its last, over all layers."""
    spans: dict[str, list[float]] = {}
    names = {"Downloading": "download", "Verifying Checksum": "verify",
             "Extracting": "extract", "Pull complete": "extract"}  # fmt: skip
    for at, message in messages:
        phase = names.get(message.get("status", ""))
        if phase:
            spans.setdefault(phase, []).append(at)
    return {phase: round(max(times) - min(times), 3) for phase, times in spans.items()}


def components(image: BuiltImage, scratch: Path) -> dict[str, float]:
    """Each stage alone, serially over the five layers, on the engine's filesystem:
    decompression (ISA-L, in memory), extraction with the tar-split (from the
    decompressed bytes), then one syncfs."""
    plains: list[bytes] = []
    started = time.perf_counter()
    for blob in image.layers:
        plains.append(igzip.decompress(blob.data))  # type: ignore[no-untyped-call]
    decompress = time.perf_counter() - started
    extract = 0.0
    writers = WriterPool()  # as the engine unpacks: small files through a helper
    try:
        for index, (plain, diff_id) in enumerate(zip(plains, image.diff_ids, strict=True)):
            layer = scratch / f"layer{index}"
            (layer / "diff").mkdir(parents=True)
            started = time.perf_counter()
            unpack_stream(io.BytesIO(plain), layer / "diff", expected_diff_id=diff_id,
                          limits=UnpackLimits(), split_dir=layer, writers=writers)  # fmt: skip
            extract += time.perf_counter() - started
    finally:
        writers.close()
    started = time.perf_counter()
    sync_filesystem(scratch)
    sync = time.perf_counter() - started
    return {"decompress": round(decompress, 3), "extract": round(extract, 3),
            "syncfs": round(sync, 3)}  # fmt: skip


def du_bytes(path: Path) -> int:
    """Allocated bytes under `path` (du's view, hard links once)."""
    done = subprocess.run(["du", "-s", "--block-size=1", str(path)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return int(done.stdout.split()[0])


@contextlib.contextmanager
def fresh_ext4(mount_point: Path, size: str = "4G") -> Iterator[None]:
    """A new journaled ext4 on a sparse image, loop-mounted at `mount_point`."""
    image = mount_point.parent / "data.ext4"
    subprocess.run(["truncate", "-s", size, str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    mount_point.mkdir(exist_ok=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)
        image.unlink(missing_ok=True)


def measure(runs: int, settle: float, fs: str) -> dict[str, Any]:
    image = build_pull_image(REPOSITORY)
    work_dir = Path(tempfile.mkdtemp(prefix="tuibox-pullbench-"))
    pulls: list[float] = []
    fetches: list[float] = []
    breakdown: list[dict[str, float]] = []
    try:
        with contextlib.ExitStack() as stack:
            namespace = stack.enter_context(bench_namespace(None))
            registry = LocalRegistry(work_dir / "registry")
            namespace.run(registry.start)  # the registry's process joins the namespace
            stack.callback(registry.stop)
            namespace.run(lambda: push_image(registry.url, image, REPOSITORY))
            engine_dir = work_dir / "engine"
            engine_dir.mkdir()
            if fs == "loop":
                stack.enter_context(fresh_ext4(engine_dir / "data"))
            stack.callback(unmount_under, engine_dir)
            host, _engine = stack.enter_context(own_engine_process(
                engine_dir, registry.url, registry.host, namespace.command_list))  # fmt: skip
            reference = f"{registry.host}/{REPOSITORY}:latest"
            data = engine_dir / "data"
            before = du_bytes(data)
            for index in range(runs + 1):  # the first of each is a warm-up
                fetch = namespace.run(lambda: raw_fetch(registry.url, image))
                took, messages = engine_pull(host, reference)
                if index == runs:
                    disk = du_bytes(data) - before
                    layers = du_bytes(data / "layers")
                if index:
                    fetches.append(fetch)
                    pulls.append(took)
                    breakdown.append(phases(messages))
                if index < runs:
                    remove_image(host, reference)
                    os.sync()
                    time.sleep(settle)
            scratch = data / "bench-components"  # the same filesystem as the layers
            scratch.mkdir()
            parts = components(image, scratch)
    finally:
        unmount_under(work_dir)
        shutil.rmtree(work_dir, ignore_errors=True)
    pull, fetch = statistics.median(pulls), statistics.median(fetches)
    return {
        "benchmark": "cold pull of a 5-layer gzip image from a loopback registry",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load": os.getloadavg(),
        "compressed_bytes": sum(blob.size for blob in image.layers),
        "unpacked_file_bytes": unpacked_bytes(image),
        "pull_s": [round(p, 3) for p in pulls], "fetch_s": [round(f, 3) for f in fetches],
        "pull_median_s": round(pull, 3), "fetch_median_s": round(fetch, 3),
        "ratio": round(pull / fetch, 1),
        "stages_alone_s": {"fetch": round(fetch, 3), **parts},
        "phases_median_s": {k: round(statistics.median(b.get(k, 0.0) for b in breakdown), 3)
                            for k in ("download", "verify", "extract")},
        "settle_s": settle, "filesystem": fs, "disk_bytes": disk, "layer_dir_bytes": layers,
        "disk_ratio": round(disk / layers, 2),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed cold pulls (>= 5)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after each removal (see the module text)")
    parser.add_argument("--fs", choices=("loop", "host"), default="loop",
                        help="the engine's data root: a fresh ext4 on a loop device, or /tmp")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5 for an honest median")
    if os.geteuid() != 0:
        print("pull_bench: needs root", file=sys.stderr)
        return 2
    results = measure(args.runs, args.settle, args.fs)
    mb = results["compressed_bytes"] / 1e6
    print(f"image: {mb:.0f} MB compressed in 5 layers, "
          f"{results['unpacked_file_bytes'] / 1e6:.0f} MB of files")  # fmt: skip
    print(f"cold pull: median {results['pull_median_s']:.3f} s {results['pull_s']}")
    print(f"raw fetch: median {results['fetch_median_s']:.3f} s {results['fetch_s']}")
    print(f"ratio {results['ratio']}x (goal <= 6x, pull <= 1.0 s); "
          f"phases {results['phases_median_s']}; load {results['load'][0]:.2f}")  # fmt: skip
    print(f"each stage alone, serially: {results['stages_alone_s']}")
    print(f"disk: {results['disk_bytes'] / 1e6:.1f} MB for {results['layer_dir_bytes'] / 1e6:.1f}"
          f" MB of layers, {results['disk_ratio']}x (goal <= 1.1x)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
