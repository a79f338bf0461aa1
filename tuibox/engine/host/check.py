"""Check at engine start that this host can run containers; fix what is safe to fix."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.cgroups.layout import (
    CgroupFixRefused,
    CgroupLayout,
    detect_layout,
    fix_hybrid_controllers,
)
from tuibox.engine.cgroups.support import detect_limit_support
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.domain.host import HostFacts
from tuibox.engine.layers.overlay import mount_overlay, unmount

MAX_NOFILE = 1048576
INSTALL_REMEDY = "apt-get install crun conmon"


@dataclass(frozen=True)
class HostProblem:
    """Something this host lacks, and the action that fixes it."""

    what: str
    remedy: str

    def line(self) -> str:
        """The one line the engine prints for this problem."""
        return f"{self.what} -- fix: {self.remedy}"


def check_host(exec_root: Path) -> tuple[HostFacts | None, list[HostProblem]]:
    """Check tools, privileges, overlayfs, the cgroup layout and rlimits.

    A hybrid cgroup layout with controllers on the cgroup2 mount is fixed on the spot
    when nothing uses them there.

    Args:
        exec_root: the engine's run-state dir; the overlay probe mounts under it.

    Returns:
        The host facts (None when any problem was found) and the problems, one per cause.
    """
    problems: list[HostProblem] = []
    crun_path = shutil.which("crun")
    conmon_path = shutil.which("conmon")
    for tool, found in (("crun", crun_path), ("conmon", conmon_path)):
        if found is None:
            problems.append(HostProblem(f"{tool} is not installed (not on PATH)", INSTALL_REMEDY))
    if os.geteuid() != 0:
        problems.append(
            HostProblem("the engine is not running as root", "start `tuibox engine` as root")
        )
        return None, problems
    problems += _check_overlay(exec_root)
    layout, cgroup_problems = _check_cgroups()
    problems += cgroup_problems
    if problems or crun_path is None or conmon_path is None:
        return None, problems
    return HostFacts(
        crun_path,
        conmon_path,
        nofile_limit(),
        layout.kind,
        crun_version=tool_version(crun_path),
        conmon_version=tool_version(conmon_path),
        limits=detect_limit_support(layout),
    ), []


def tool_version(path: str) -> str:
    """The version number a tool prints first (`crun version 1.8.1` -> `1.8.1`)."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    words = done.stdout.split("\n", 1)[0].split()
    return words[-1] if words else ""


def nofile_limit() -> int:
    """RLIMIT_NOFILE to give containers: 1048576, or the host's hard limit if lower."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return MAX_NOFILE
    return min(MAX_NOFILE, hard)


def _check_overlay(exec_root: Path) -> list[HostProblem]:
    """Mount and unmount a tiny overlay under ``exec_root``."""
    try:
        exec_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=".overlay-probe-", dir=exec_root))
    except OSError as err:
        return [HostProblem(f"cannot create the exec root {exec_root}: {err}",
                            "choose a writable --exec-root")]  # fmt: skip
    try:
        dirs = [probe / name for name in ("lower", "upper", "work", "merged")]
        for path in dirs:
            path.mkdir()
        mount_overlay([dirs[0]], dirs[1], dirs[2], dirs[3])
        unmount(dirs[3])
    except (OSError, RuntimeFailure) as err:
        return [HostProblem(
            f"overlayfs is not usable under {exec_root}: {err}",
            "load it with `modprobe overlay`, and keep --exec-root on a local filesystem "
            "(tmpfs or ext4), not on overlayfs or NFS",
        )]  # fmt: skip
    finally:
        unmount(probe / "merged")
        shutil.rmtree(probe, ignore_errors=True)
    return []


def _check_cgroups() -> tuple[CgroupLayout, list[HostProblem]]:
    """Detect the cgroup layout and move controllers off a hybrid cgroup2 mount."""
    layout = detect_layout()
    if layout.kind == "none":
        return layout, [HostProblem(
            "no cgroup filesystem is mounted",
            "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
        )]  # fmt: skip
    try:
        fix_hybrid_controllers(layout)
    except CgroupFixRefused as err:
        return layout, [HostProblem(err.reason, err.remedy)]
    return layout, []
