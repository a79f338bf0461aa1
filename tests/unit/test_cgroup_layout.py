"""cgroup layout detection from mountinfo fixtures, and the hybrid-controller fix's decisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tuibox.engine.cgroups import layout as layout_module
from tuibox.engine.cgroups.layout import (
    CgroupLayout,
    fix_hybrid_controllers,
    hybrid_remedy,
    parse_layout,
    parse_mountinfo,
)
from tuibox.engine.domain.errors import HostNotReady

DATA = Path(__file__).resolve().parent.parent / "data" / "cgroup"


def controllers_reader(text: str) -> Callable[[object], str]:
    """Return a read_controllers callable that answers ``text`` for any mount point."""
    return lambda _point: text


def test_hybrid_with_hugetlb_on_the_cgroup2_mount_is_reported() -> None:
    mountinfo = (DATA / "hybrid-hugetlb-on-unified.mountinfo").read_text()
    found = parse_layout(mountinfo, controllers_reader("hugetlb\n"))
    assert found.kind == "hybrid"
    assert found.unified_mount == Path("/sys/fs/cgroup/unified")
    assert found.unified_controllers == ("hugetlb",)
    assert found.v1_mounts["memory"] == Path("/sys/fs/cgroup/memory")
    assert found.v1_mounts["name=systemd"] == Path("/sys/fs/cgroup/systemd")
    assert "hugetlb" not in found.v1_mounts


def test_hybrid_after_the_fix_has_no_controllers_on_cgroup2() -> None:
    mountinfo = (DATA / "hybrid-fixed.mountinfo").read_text()
    found = parse_layout(mountinfo, controllers_reader(""))
    assert found.kind == "hybrid"
    assert found.unified_controllers == ()
    assert found.v1_mounts["hugetlb"] == Path("/sys/fs/cgroup/hugetlb")


def test_pure_v2_is_detected_from_mountinfo() -> None:
    mountinfo = (DATA / "v2.mountinfo").read_text()
    found = parse_layout(mountinfo, controllers_reader("cpuset cpu io memory pids\n"))
    assert found.kind == "v2"
    assert found.unified_mount == Path("/sys/fs/cgroup")
    assert found.unified_controllers == ("cpuset", "cpu", "io", "memory", "pids")


def test_pure_v1_is_detected_from_proc_mounts_with_comounted_controllers() -> None:
    found = parse_layout((DATA / "v1.mounts").read_text(), controllers_reader("unused"))
    assert found.kind == "v1"
    assert found.unified_mount is None
    assert found.v1_mounts["cpu"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert found.v1_mounts["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert set(found.v1_mounts) == {"name=systemd", "cpu", "cpuacct", "memory", "pids"}


def test_no_cgroup_mount_at_all_is_none() -> None:
    assert parse_layout("", controllers_reader("")).kind == "none"


def test_mount_points_with_escaped_spaces_are_unescaped() -> None:
    line = "41 31 0:38 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,pids\n"
    assert parse_mountinfo(line)[0].point == Path("/sys/fs/cgroup/my dir")


def test_remedy_names_the_exact_commands() -> None:
    found = CgroupLayout("hybrid", {}, Path("/sys/fs/cgroup/unified"), ("hugetlb",))
    text = hybrid_remedy(found, ["hugetlb"])
    assert "mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup " in text
    assert "/sys/fs/cgroup/unified" in text


def test_fix_does_nothing_when_cgroup2_holds_no_controller() -> None:
    found = CgroupLayout("hybrid", {}, Path("/nonexistent"), ())
    assert fix_hybrid_controllers(found) == []


def test_fix_refuses_controllers_that_cgroup2_children_use(tmp_path: Path) -> None:
    (tmp_path / "cgroup.subtree_control").write_text("hugetlb\n")
    found = CgroupLayout("hybrid", {}, tmp_path, ("hugetlb",))
    with pytest.raises(HostNotReady, match="mount -t cgroup -o hugetlb"):
        fix_hybrid_controllers(found)


def test_fix_mounts_each_unused_controller_on_its_own_hierarchy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cgroup.subtree_control").write_text("\n")
    mounted: list[str] = []
    monkeypatch.setattr(layout_module, "_mount_v1_controller", mounted.append)
    found = CgroupLayout("hybrid", {}, tmp_path, ("hugetlb", "misc"))
    assert fix_hybrid_controllers(found) == ["hugetlb", "misc"]
    assert mounted == ["hugetlb", "misc"]


def test_fix_turns_a_mount_failure_into_a_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cgroup.subtree_control").write_text("\n")

    def refuse(name: str) -> None:
        raise PermissionError(1, "Operation not permitted", f"/sys/fs/cgroup/{name}")

    monkeypatch.setattr(layout_module, "_mount_v1_controller", refuse)
    found = CgroupLayout("hybrid", {}, tmp_path, ("hugetlb",))
    with pytest.raises(HostNotReady, match=r"Operation not permitted.*as root run: mkdir"):
        fix_hybrid_controllers(found)
