"""Move each conmon to a cgroup of its own, out of the engine's: stopping the engine spares it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tuibox.engine.cgroups.layout import CgroupLayout
from tuibox.engine.domain.errors import RuntimeFailure

MONITOR_CGROUP = "conmon"
"""The cgroup below the cgroup parent that holds every conmon (podman's is `conmon` too)."""
_CPUSET_FILES = ("cpuset.cpus", "cpuset.mems")


def parse_proc_cgroup(text: str) -> list[tuple[str, str]]:
    """(controllers, path) of each line of a /proc/<pid>/cgroup text (pure).

    The controllers read "pids", "cpu,cpuacct", "name=systemd", or "" for cgroup2.
    """
    entries = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            entries.append((parts[1], parts[2]))
    return entries


def hierarchies_to_leave(layout: CgroupLayout, proc_cgroup: str) -> list[Path]:
    """The mount points of the hierarchies in which a process is not in the root cgroup (pure).

    A service manager stops a service by killing what is in the service's cgroup of one of
    these (systemd: name=systemd on v1, the cgroup2 tree otherwise); in the root cgroup a
    process belongs to no service. Hierarchies that are not mounted are left out.
    """
    mounts: list[Path] = []
    for controllers, path in parse_proc_cgroup(proc_cgroup):
        if path.strip() == "/":
            continue
        if controllers == "":
            mount = layout.unified_mount
        else:
            found = (layout.v1_mounts.get(name) for name in controllers.split(","))
            mount = next((point for point in found if point is not None), None)
        if mount is not None and mount not in mounts:
            mounts.append(mount)
    return mounts


def make_cgroup(mount: Path, relative: str) -> None:
    """mkdir each level of ``relative`` below ``mount``; a new cpuset takes its parent's sets.

    A v1 cpuset cgroup starts with no CPU and no memory node, and no task can join it then.
    """
    current = mount
    for part in Path(relative).parts:
        parent, current = current, current / part
        try:
            current.mkdir()
        except FileExistsError:
            continue
        for name in _CPUSET_FILES:
            if (current / name).exists() and not (current / name).read_text().strip():
                (current / name).write_text((parent / name).read_text())


class ConmonPlacement:
    """Moves conmon processes to <mount>/<cgroup parent>/conmon in each hierarchy to leave."""

    def __init__(
        self,
        layout: CgroupLayout,
        cgroup_parent: str,
        read_own_cgroup: Callable[[], str] = lambda: Path("/proc/self/cgroup").read_text(),
    ) -> None:
        self.layout = layout
        self.relative = f"{cgroup_parent.strip('/')}/{MONITOR_CGROUP}"
        self.read_own_cgroup = read_own_cgroup
        self._made: set[Path] = set()

    def targets(self) -> list[Path]:
        """The conmon cgroup of each hierarchy in which the engine itself is not at the root."""
        mounts = hierarchies_to_leave(self.layout, self.read_own_cgroup())
        return [mount / self.relative for mount in mounts]

    def place(self, pid: int) -> None:
        """Move process ``pid`` (a conmon that has not forked yet) to its cgroups.

        Raises:
            RuntimeFailure: a hierarchy refused; the move went on in the others.
        """
        failures = []
        for mount in hierarchies_to_leave(self.layout, self.read_own_cgroup()):
            try:
                self._join(mount, pid)
            except OSError as err:
                failures.append(f"{mount / self.relative}: {err.strerror or err}")
        if failures:
            raise RuntimeFailure(f"cannot move conmon (pid {pid}) out of the engine's cgroup: "
                                 + "; ".join(failures))  # fmt: skip

    def _join(self, mount: Path, pid: int) -> None:
        target = mount / self.relative
        if target not in self._made:
            make_cgroup(mount, self.relative)
            self._made.add(target)
        try:
            (target / "cgroup.procs").write_text(str(pid))
        except FileNotFoundError:  # removed since (a clean-up while it was empty): make it again
            make_cgroup(mount, self.relative)
            (target / "cgroup.procs").write_text(str(pid))
