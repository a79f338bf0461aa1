"""Times the layer explorer on a synthetic image: the engine's walk and the TUI's rows.

Usage (from the repository root, as root: whiteouts are 0:0 character devices):
    .venv/bin/python bench/layer_explorer.py [--files 100000] [--runs 5]

Three layer directories are built under a temporary directory as the unpacker leaves them:
the base holds `--files` small files in directories of 100, the second rewrites a tenth of
them and adds one 8 MiB file, the third whites out that file and a tenth of the directories.
It prints the median wall time of `explore_layers` (every layer walked by fd, the wasted
bytes counted; what GET /tuibox/v1/images/{name}/layers does before it answers) and of
`layer_rows` for the top layer (the TUI's stacking of all the entries, as the Layers tab
does when a layer is chosen).
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tuibox.client.image_details import LayerReport  # noqa: E402
from tuibox.engine.services.images.layer_tree import (  # noqa: E402
    MAX_LIMIT,
    LayerSource,
    TreeQuery,
    explore_layers,
)
from tuibox.widgets.layer_rows import layer_rows  # noqa: E402

PER_DIR = 100


def build_layers(root: Path, files: int) -> list[Path]:
    """The three layer directories described in the module docstring."""
    base, rewrite, remove = (root / name for name in ("0", "1", "2"))
    for layer in (base, rewrite, remove):
        layer.mkdir()
    for index in range(files):
        directory = base / f"d{index // PER_DIR:05}"
        directory.mkdir(exist_ok=True)
        (directory / f"f{index:07}").write_bytes(b"x" * (index % 512))
        if index % 10 == 0:
            (rewrite / directory.name).mkdir(exist_ok=True)
            (rewrite / directory.name / f"f{index:07}").write_bytes(b"y" * 64)
    (rewrite / "big").write_bytes(os.urandom(8 * 1024 * 1024))
    os.mknod(remove / "big", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    for index in range(0, files // PER_DIR, 10):
        os.mknod(remove / f"d{index:05}", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    return [base, rewrite, remove]


def median_seconds(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Build the layers, time both halves, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000, help="files in the base layer")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each half")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="tuibox-layer-bench-"))
    try:
        dirs = build_layers(root, args.files)
        sources = [LayerSource(f"sha256:{i}", f"sha256:{i}", f"layer {i}", d)
                   for i, d in enumerate(dirs)]  # fmt: skip
        query = TreeQuery(limit=MAX_LIMIT)
        document = explore_layers("sha256:bench", sources, query)
        engine = median_seconds(lambda: explore_layers("sha256:bench", sources, query), args.runs)
        report = LayerReport.from_json(document)
        top = len(report.layers) - 1
        rows = layer_rows(report, top)
        tui = median_seconds(lambda: layer_rows(report, top), args.runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    entries = sum(layer["entry_count"] for layer in document["layers"])
    print(f"layer_explorer: {entries} entries in 3 layers, wasted {document['wasted_bytes']} B "
          f"of {document['size']} B (efficiency {document['efficiency'] * 100:.1f} %)")
    print(f"  engine explore_layers: median {engine * 1000:.0f} ms of {args.runs}")
    print(f"  TUI layer_rows (top layer, {len(rows)} rows): median {tui * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
