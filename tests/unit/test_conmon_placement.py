"""Which hierarchies conmon leaves the engine's cgroup in, and the moves, on plain directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuibox.engine.cgroups.conmon_placement import (
    ConmonPlacement,
    hierarchies_to_leave,
    make_cgroup,
    parse_proc_cgroup,
)
from tuibox.engine.cgroups.layout import CgroupLayout
from tuibox.engine.domain.errors import RuntimeFailure

ROOT = Path("/sys/fs/cgroup")
HYBRID = CgroupLayout(
    "hybrid",
    {name: ROOT / ("systemd" if name == "name=systemd" else name)
     for name in ("cpu", "cpuacct", "memory", "pids", "cpuset", "name=systemd")},
    ROOT / "unified",
)  # fmt: skip
IN_A_SERVICE = (
    "9:name=systemd:/system.slice/tuibox.service\n"
    "8:pids:/system.slice/tuibox.service\n"
    "4:memory:/system.slice/tuibox.service\n"
    "3:cpuset:/\n"
    "2:cpu,cpuacct:/system.slice\n"
    "11:net_cls:/elsewhere\n"
    "0::/system.slice/tuibox.service\n"
)


def test_proc_cgroup_lines_split_into_controllers_and_path() -> None:
    assert parse_proc_cgroup("9:name=systemd:/a:b\n0::/\n") == [("name=systemd", "/a:b"), ("", "/")]


def test_only_hierarchies_where_the_engine_is_below_the_root_are_left() -> None:
    mounts = hierarchies_to_leave(HYBRID, IN_A_SERVICE)
    assert mounts == [ROOT / "systemd", ROOT / "pids", ROOT / "memory", ROOT / "cpu",
                      ROOT / "unified"]  # fmt: skip


def test_an_engine_at_the_root_everywhere_moves_nothing() -> None:
    assert hierarchies_to_leave(HYBRID, "9:name=systemd:/\n4:memory:/\n0::/\n") == []


def test_pure_v2_leaves_the_one_tree() -> None:
    layout = CgroupLayout("v2", {}, ROOT, ("memory", "pids"))
    assert hierarchies_to_leave(layout, "0::/system.slice/tuibox.service\n") == [ROOT]


def test_levels_that_exist_are_left_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "tuibox").mkdir()
    (tmp_path / "tuibox" / "cpuset.cpus").write_text("\n")
    make_cgroup(tmp_path, "tuibox/conmon")
    assert (tmp_path / "tuibox" / "conmon").is_dir()
    assert (tmp_path / "tuibox" / "cpuset.cpus").read_text() == "\n"


def test_place_writes_the_pid_in_every_hierarchy_to_leave(tmp_path: Path) -> None:
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    memory.mkdir()
    pids.mkdir()
    layout = CgroupLayout("v1", {"memory": memory, "pids": pids, "cpu": tmp_path / "cpu"})
    own = "4:memory:/engine\n8:pids:/engine\n1:cpu:/\n"
    placement = ConmonPlacement(layout, "/ci/run-1", lambda: own)
    placement.place(4242)
    assert (memory / "ci/run-1/conmon/cgroup.procs").read_text() == "4242"
    assert (pids / "ci/run-1/conmon/cgroup.procs").read_text() == "4242"
    assert not (tmp_path / "cpu").exists()
    assert placement.targets() == [memory / "ci/run-1/conmon", pids / "ci/run-1/conmon"]


def test_a_conmon_cgroup_removed_meanwhile_is_made_again(tmp_path: Path) -> None:
    layout = CgroupLayout("v1", {"pids": tmp_path})
    placement = ConmonPlacement(layout, "/tuibox", lambda: "8:pids:/engine\n")
    placement.place(1)
    (tmp_path / "tuibox/conmon/cgroup.procs").unlink()
    (tmp_path / "tuibox/conmon").rmdir()
    placement.place(2)
    assert (tmp_path / "tuibox/conmon/cgroup.procs").read_text() == "2"


def test_a_hierarchy_that_refuses_is_named_and_the_others_still_move(tmp_path: Path) -> None:
    (tmp_path / "memory").write_text("not a directory")
    (tmp_path / "pids").mkdir()
    layout = CgroupLayout("v1", {"memory": tmp_path / "memory", "pids": tmp_path / "pids"})
    placement = ConmonPlacement(layout, "/tuibox", lambda: "4:memory:/e\n8:pids:/e\n")
    with pytest.raises(RuntimeFailure, match=r"memory/tuibox/conmon: Not a directory"):
        placement.place(7)
    assert (tmp_path / "pids/tuibox/conmon/cgroup.procs").read_text() == "7"
