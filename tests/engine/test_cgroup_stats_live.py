"""The stats reader over a real cgroup of this host holding a process that uses memory and CPU."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuibox.engine.cgroups.layout import detect_layout
from tuibox.engine.cgroups.paths import CgroupPaths, container_cgroup_paths
from tuibox.engine.cgroups.readers import read_cgroup_stats
from tuibox.engine.cgroups.stats import CgroupStats

pytestmark = pytest.mark.engine

MIB = 1024 * 1024
SHM_MIB = 64
HOST_MEMORY = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
# Waits for a line on stdin (sent once it is in the cgroup), fills /dev/shm, spins, reports.
WORKLOAD = (
    'read _go; dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null; '
    "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo ready; exec sleep 60"
)


def require(condition: bool, reason: str) -> None:
    """Skip unless ``condition`` on a developer box; fail under CI, where nothing may skip."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def cgroup_dirs(paths: CgroupPaths) -> list[Path]:
    """Every distinct directory of ``paths`` (a joined cpu,cpuacct shares one)."""
    found = [paths.unified] if paths.unified is not None else list(paths.controllers.values())
    return list(dict.fromkeys(found))


def remove_dirs(directories: list[Path]) -> None:
    """rmdir each cgroup directory, retrying while the kernel finishes releasing it."""
    deadline = time.monotonic() + 5
    for directory in directories:
        while directory.exists():
            try:
                directory.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


@contextlib.contextmanager
def workload_in(paths: CgroupPaths, shm: Path) -> Iterator[subprocess.Popen[str]]:
    """Start the workload inside the cgroup; always kill it and remove shm and the cgroup."""
    directories = cgroup_dirs(paths)
    process: subprocess.Popen[str] | None = None
    try:
        for directory in directories:
            directory.mkdir()
        process = subprocess.Popen(
            ["sh", "-c", WORKLOAD, "sh", str(shm), str(SHM_MIB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for directory in directories:
            (directory / "cgroup.procs").write_text(f"{process.pid}\n")
        yield process
    finally:
        if process is not None:
            process.kill()
            process.wait(timeout=10)
        shm.unlink(missing_ok=True)
        remove_dirs(directories)


def test_reader_sees_the_memory_and_cpu_of_a_real_cgroup() -> None:
    require(os.geteuid() == 0, "creating cgroups needs root")
    layout = detect_layout()
    require(layout.kind != "none", "no cgroup hierarchy is mounted")
    name = f"tuibox-live-test-{os.getpid()}"
    paths = container_cgroup_paths(layout, f"/{name}")
    shm = Path("/dev/shm") / name
    with workload_in(paths, shm) as process:
        assert process.stdin is not None and process.stdout is not None
        before = read_cgroup_stats(paths, HOST_MEMORY)
        process.stdin.write("go\n")
        process.stdin.flush()
        assert process.stdout.readline() == "ready\n"
        after: CgroupStats = read_cgroup_stats(paths, HOST_MEMORY)
    usage_mib = after.memory.usage / MIB
    assert 56 <= usage_mib <= 80, f"memory usage {usage_mib:.1f} MiB, {after.memory}"
    assert after.cpu.total_ns > before.cpu.total_ns
    assert after.pids_current >= 1
    assert not shm.exists()
    assert not any(directory.exists() for directory in cgroup_dirs(paths))
