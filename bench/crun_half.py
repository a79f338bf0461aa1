"""Times raw `crun run` of a busybox bundle shaped like the engine's own containers."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tuibox.demo.images import build_demo_images
from tuibox.engine.layers.unpack import unpack_layer
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES, RuntimeSpec, build_oci_config
from tuibox.engine.runtime.seccomp import default_seccomp

CGROUP_PARENT = "tuibox-bench"
CGROUP_ROOT = Path("/sys/fs/cgroup")


def unpack_busybox_rootfs(target: Path) -> None:
    """Unpack the demo busybox image's layer into ``target`` as the engine unpacks layers."""
    busybox = next(image for image in build_demo_images() if image.name == "busybox")
    target.mkdir(parents=True)
    blob = target.parent / "busybox-layer.tar.gz"
    blob.write_bytes(busybox.layers[0].data)
    try:
        unpack_layer(blob, target)
    finally:
        blob.unlink()


def bundle_config(rootfs: Path, args: list[str], container_id: str) -> dict[str, Any]:
    """Return the config.json the engine would write: same builder, seccomp profile, cgroup."""
    spec = RuntimeSpec(
        container_id=container_id,
        rootfs=rootfs,
        args=tuple(args),
        env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
        cwd="/",
        hostname=container_id[:12],
        cgroup_path=f"/{CGROUP_PARENT}/{container_id}",
        nofile_limit=1024,
        seccomp=default_seccomp(DEFAULT_CAPABILITIES),
    )
    return build_oci_config(spec)


@contextlib.contextmanager
def crun_bundle(work_dir: Path) -> Iterator[Path]:
    """Yield a bundle directory holding a busybox rootfs; remove it and its cgroups after."""
    bundle = work_dir / "bundle"
    bundle.mkdir(parents=True)
    try:
        unpack_busybox_rootfs(bundle / "rootfs")
        yield bundle
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        remove_bench_cgroups()


def time_crun_runs(bundle: Path, crun_root: Path, runs: int, warmup: int) -> list[float]:
    """Run `crun run` of `true` ``warmup + runs`` times; return the timed runs' seconds."""
    samples: list[float] = []
    for index in range(warmup + runs):
        container_id = f"tuibox-bench-{index}"
        config = bundle_config(bundle / "rootfs", ["true"], container_id)
        (bundle / "config.json").write_text(json.dumps(config))
        argv = ["crun", "--root", str(crun_root), "run", "--bundle", str(bundle), container_id]
        started = time.perf_counter()
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            with contextlib.suppress(OSError):
                subprocess.run(
                    ["crun", "--root", str(crun_root), "delete", "-f", container_id],
                    capture_output=True,
                    check=False,
                )
            raise RuntimeError(f"crun run failed: {result.stderr.decode(errors='replace')}")
        if index >= warmup:
            samples.append(elapsed)
    return samples


def remove_bench_cgroups() -> None:
    """Remove the (by now empty) cgroup parents crun made for the bench containers."""
    for controller in CGROUP_ROOT.iterdir():
        parent = controller / CGROUP_PARENT
        if not parent.is_dir():
            continue
        for child in sorted(parent.glob("*"), reverse=True):
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()
