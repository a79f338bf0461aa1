"""cgroup v1/v2 stats readers over real fixture trees, and container cgroup path mapping."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tuibox.engine.cgroups import readers
from tuibox.engine.cgroups.layout import CgroupLayout, parse_layout
from tuibox.engine.cgroups.paths import CgroupPaths, container_cgroup_paths
from tuibox.engine.cgroups.readers import CgroupGone, read_cgroup_stats
from tuibox.engine.cgroups.stats import BlkioEntry, CpuStats
from tuibox.engine.domain.errors import HostNotReady, RuntimeFailure

DATA = Path(__file__).resolve().parent.parent / "data" / "cgroup"
SPLIT_ID = "a6f5d2224d565235cf06a540524bf38a5d87e2153da7f58c222731e19d287468"
JOINED_ID = "e1d433c21cc0e4b5717d8ca0b7cb20da759f1bb892bbf3925c03c899456cd4a3"
V2_ID = "9c3b0f0a1d2e4b5c6d7e8f90112233445566778899aabbccddeeff0011223344"
HOST_MEMORY = 25_276_502_016  # this machine's MemTotal
V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "blkio", "pids")
HOST_USER_HZ = readers.USER_HZ  # read before the autouse fixture pins it


@pytest.fixture(autouse=True)
def _user_hz_100(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures were captured with USER_HZ 100; pin it so the numbers hold anywhere."""
    monkeypatch.setattr(readers, "USER_HZ", 100)


def split_layout(root: Path) -> CgroupLayout:
    """This machine's layout (cpu and cpuacct apart) with its mount points under ``root``."""
    return CgroupLayout("hybrid", {name: root / name for name in V1_CONTROLLERS}, root / "unified")


def joined_layout(root: Path) -> CgroupLayout:
    """A cpu,cpuacct co-mounted v1 layout with its mount points under ``root``."""
    mounts = {name: root / name for name in ("memory", "blkio", "pids")}
    mounts["cpu"] = mounts["cpuacct"] = root / "cpu,cpuacct"
    return CgroupLayout("v1", mounts)


def v2_layout(root: Path) -> CgroupLayout:
    """A pure cgroup v2 layout mounted at ``root``."""
    return CgroupLayout("v2", {}, root, ("cpuset", "cpu", "io", "memory", "pids"))


def split_paths(root: Path = DATA / "v1-split") -> CgroupPaths:
    return container_cgroup_paths(split_layout(root), f"/tuibox/{SPLIT_ID}")


def joined_paths(root: Path = DATA / "v1-joined") -> CgroupPaths:
    return container_cgroup_paths(joined_layout(root), f"/tuibox/{JOINED_ID}")


def v2_paths(root: Path = DATA / "v2") -> CgroupPaths:
    return container_cgroup_paths(v2_layout(root), f"/tuibox/{V2_ID}")


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture tree into tmp_path (so a test may change it); returns the copy's root."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(DATA / name, target)
        return target

    return copy


def container_dir(paths: CgroupPaths, controller: str = "memory") -> Path:
    """The directory holding ``controller``'s files (the unified one on v2)."""
    return paths.unified if paths.unified is not None else paths.controllers[controller]


# ---- the three fixture trees -----------------------------------------------------------


def test_v1_split_fixture_gives_the_exact_numbers() -> None:
    stats = read_cgroup_stats(split_paths(), HOST_MEMORY)
    assert stats.cpu == CpuStats(
        total_ns=234_340_195,
        user_ns=220_000_000,  # user 22 ticks at USER_HZ 100
        system_ns=10_000_000,  # system 1 tick
        percpu_ns=(219_214_366, 15_125_829),
        periods=0,
        throttled_periods=0,
        throttled_ns=0,
    )
    assert stats.memory.usage == 21_643_264
    assert stats.memory.limit is None  # 9223372036854771712
    assert stats.memory.max_usage == 22_937_600
    assert stats.memory.failcnt == 0
    assert len(stats.memory.stats) == 42
    assert stats.memory.stats["total_inactive_file"] == 86_016
    assert stats.memory.stats["inactive_file"] == 86_016
    assert stats.memory.stats["shmem"] == 20_971_520
    assert stats.memory.stats["hierarchical_memory_limit"] == 9_223_372_036_854_771_712
    assert stats.blkio_service_bytes == ()  # every blkio file reads "Total 0" on this kernel
    assert stats.pids_current == 2
    assert stats.pids_limit is None


def test_v1_joined_fixture_gives_the_exact_numbers() -> None:
    stats = read_cgroup_stats(joined_paths(), HOST_MEMORY)
    assert stats.cpu == CpuStats(
        total_ns=217_431_028,
        user_ns=200_000_000,
        system_ns=10_000_000,
        percpu_ns=(203_587_719, 13_843_309),
        periods=12,
        throttled_periods=10,
        throttled_ns=725_030_071,
    )
    assert stats.memory.usage == 21_377_024
    assert stats.memory.limit == 268_435_456
    assert stats.memory.max_usage == 22_822_912
    assert stats.memory.failcnt == 0
    assert stats.memory.stats["total_inactive_file"] == 0
    assert stats.memory.stats["hierarchical_memory_limit"] == 268_435_456
    assert stats.blkio_service_bytes == (
        BlkioEntry(254, 0, "Read", 8_388_608),
        BlkioEntry(254, 0, "Write", 8_388_608),
        BlkioEntry(254, 0, "Sync", 16_777_216),
        BlkioEntry(254, 0, "Async", 0),
        BlkioEntry(254, 0, "Discard", 0),
        BlkioEntry(254, 0, "Total", 16_777_216),
    )
    assert stats.pids_current == 2
    assert stats.pids_limit == 64


def test_v2_fixture_gives_the_exact_numbers() -> None:
    stats = read_cgroup_stats(v2_paths(), HOST_MEMORY)
    assert stats.cpu == CpuStats(
        total_ns=1_000_000_000,
        user_ns=600_000_000,
        system_ns=400_000_000,
        percpu_ns=(),
        periods=100,
        throttled_periods=10,
        throttled_ns=50_000_000,
    )
    assert stats.memory.usage == 123_456_789
    assert stats.memory.limit == 999_999_999
    assert stats.memory.max_usage == 987_654_321
    assert stats.memory.failcnt == 3  # memory.events "oom", not "max" (2)
    assert len(stats.memory.stats) == 40
    assert stats.memory.stats["inactive_file"] == 5_307_346_944
    assert stats.memory.stats["anon"] == 790_425_600
    assert "total_inactive_file" not in stats.memory.stats
    assert stats.blkio_service_bytes == (
        BlkioEntry(254, 1, "read", 6_901_432_320),
        BlkioEntry(254, 1, "write", 14_245_535_744),
        BlkioEntry(254, 0, "read", 2_702_336),
        BlkioEntry(254, 0, "write", 0),
        BlkioEntry(259, 0, "read", 6_911_345_664),
        BlkioEntry(259, 0, "write", 14_245_536_256),
    )
    assert stats.pids_current == 42
    assert stats.pids_limit == 1000


# ---- CPU ticks -------------------------------------------------------------------------------


def test_user_and_system_ticks_are_converted_with_user_hz(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "USER_HZ", 250)
    cpu = read_cgroup_stats(joined_paths(), HOST_MEMORY).cpu
    assert cpu.user_ns == 80_000_000  # 20 ticks / 250 Hz
    assert cpu.system_ns == 4_000_000  # 1 tick


def test_user_hz_comes_from_the_host() -> None:
    assert os.sysconf("SC_CLK_TCK") == HOST_USER_HZ


# ---- memory limits ------------------------------------------------------------------------


def test_v1_limit_above_host_memory_is_unlimited() -> None:
    assert read_cgroup_stats(joined_paths(), 128 * 1024 * 1024).memory.limit is None


def test_v1_huge_limit_is_unlimited_even_without_host_memory() -> None:
    assert read_cgroup_stats(split_paths(), 0).memory.limit is None


def test_v2_max_is_unlimited(copy_fixture: Callable[[str], Path]) -> None:
    paths = v2_paths(copy_fixture("v2"))
    (container_dir(paths) / "memory.max").write_text("max\n")
    assert read_cgroup_stats(paths, HOST_MEMORY).memory.limit is None


def test_v2_limit_above_host_memory_is_unlimited() -> None:
    assert read_cgroup_stats(v2_paths(), 512 * 1024 * 1024).memory.limit is None


# ---- v1 blkio fallbacks ------------------------------------------------------------------------


CFQ_BYTES = (
    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Total 12288\nTotal 12288\n"
)


def test_blkio_prefers_the_cfq_file_when_it_has_entries(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = joined_paths(copy_fixture("v1-joined"))
    (container_dir(paths, "blkio") / "blkio.io_service_bytes_recursive").write_text(CFQ_BYTES)
    entries = read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes
    assert entries[:2] == (BlkioEntry(8, 0, "Read", 4096), BlkioEntry(8, 0, "Write", 8192))
    assert len(entries) == 5  # the trailing "Total 12288" line is skipped


def test_blkio_falls_back_to_throttle_when_cfq_is_empty(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = joined_paths(copy_fixture("v1-joined"))
    (container_dir(paths, "blkio") / "blkio.io_service_bytes_recursive").write_text("Total 0\n")
    entries = read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes
    assert entries[0] == BlkioEntry(254, 0, "Read", 8_388_608)


def test_blkio_falls_back_to_the_non_recursive_throttle_file(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = joined_paths(copy_fixture("v1-joined"))
    blkio = container_dir(paths, "blkio")
    (blkio / "blkio.throttle.io_service_bytes_recursive").unlink()
    (blkio / "blkio.throttle.io_service_bytes").write_text("254:0 Read 512\n254:0 Write 0\n")
    entries = read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes
    assert entries == (BlkioEntry(254, 0, "Read", 512), BlkioEntry(254, 0, "Write", 0))


def test_blkio_uses_bfq_before_throttle_when_bfq_counts(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = joined_paths(copy_fixture("v1-joined"))
    bfq = container_dir(paths, "blkio") / "blkio.bfq.io_service_bytes_recursive"
    bfq.write_text("254:0 Read 1024\n254:0 Write 2048\nTotal 3072\n")
    entries = read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes
    assert entries == (BlkioEntry(254, 0, "Read", 1024), BlkioEntry(254, 0, "Write", 2048))


# ---- v2 io.stat -------------------------------------------------------------------------------


def test_io_stat_lines_without_bytes_give_zero_and_garbage_lines_are_skipped(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = v2_paths(copy_fixture("v2"))
    (container_dir(paths) / "io.stat").write_text(
        "8:16 rbytes=1459200 rios=192\nnot-a-device rbytes=1\n\n8:0 wbytes=x\n"
    )
    assert read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes == (
        BlkioEntry(8, 16, "read", 1_459_200),
        BlkioEntry(8, 16, "write", 0),
        BlkioEntry(8, 0, "read", 0),
        BlkioEntry(8, 0, "write", 0),
    )


def test_empty_io_stat_gives_no_entries(copy_fixture: Callable[[str], Path]) -> None:
    paths = v2_paths(copy_fixture("v2"))
    (container_dir(paths) / "io.stat").write_text("")
    assert read_cgroup_stats(paths, HOST_MEMORY).blkio_service_bytes == ()


# ---- missing optional files ---------------------------------------------------------------


def test_v2_without_memory_peak_has_no_max_usage(copy_fixture: Callable[[str], Path]) -> None:
    paths = v2_paths(copy_fixture("v2"))
    (container_dir(paths) / "memory.peak").unlink()
    assert read_cgroup_stats(paths, HOST_MEMORY).memory.max_usage is None


def test_v1_without_cfs_bandwidth_has_zero_throttling(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = joined_paths(copy_fixture("v1-joined"))
    (container_dir(paths, "cpu") / "cpu.stat").unlink()
    cpu = read_cgroup_stats(paths, HOST_MEMORY).cpu
    assert (cpu.periods, cpu.throttled_periods, cpu.throttled_ns) == (0, 0, 0)
    assert cpu.total_ns == 217_431_028


def test_v1_without_a_pids_controller_gives_zero_and_no_limit() -> None:
    layout = split_layout(DATA / "v1-split")
    mounts = {name: point for name, point in layout.v1_mounts.items() if name != "pids"}
    paths = container_cgroup_paths(CgroupLayout("v1", mounts), f"/tuibox/{SPLIT_ID}")
    assert "pids" not in paths.controllers
    stats = read_cgroup_stats(paths, HOST_MEMORY)
    assert (stats.pids_current, stats.pids_limit) == (0, None)


def test_v2_with_only_some_controllers_enabled(copy_fixture: Callable[[str], Path]) -> None:
    paths = v2_paths(copy_fixture("v2"))
    for name in ("pids.current", "pids.max", "memory.events", "io.stat", "memory.stat"):
        (container_dir(paths) / name).unlink()
    stats = read_cgroup_stats(paths, HOST_MEMORY)
    assert (stats.pids_current, stats.pids_limit) == (0, None)
    assert stats.memory.failcnt == 0
    assert stats.memory.stats == {}
    assert stats.blkio_service_bytes == ()


def test_v1_cpu_stat_with_only_throttled_time_reads_what_is_there(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = split_paths(copy_fixture("v1-split"))
    (container_dir(paths, "cpu") / "cpu.stat").write_text("throttled_time 17\n")
    cpu = read_cgroup_stats(paths, HOST_MEMORY).cpu
    assert (cpu.periods, cpu.throttled_periods, cpu.throttled_ns) == (0, 0, 17)


# ---- malformed content -------------------------------------------------------------------------


def test_malformed_v1_values_give_zero(copy_fixture: Callable[[str], Path]) -> None:
    paths = split_paths(copy_fixture("v1-split"))
    (container_dir(paths, "cpuacct") / "cpuacct.usage").write_text("garbage\n")
    (container_dir(paths, "cpuacct") / "cpuacct.usage_percpu").write_text("1 x 3\n")
    (container_dir(paths, "cpuacct") / "cpuacct.stat").write_text("user\nsystem -5\n")
    (container_dir(paths, "cpu") / "cpu.stat").write_text("nr_periods 1 2\nnr_throttled 4\n")
    (container_dir(paths, "memory") / "memory.usage_in_bytes").write_text("")
    (container_dir(paths, "memory") / "memory.stat").write_text("cache abc\nrss 4096\n")
    (container_dir(paths, "memory") / "memory.limit_in_bytes").write_text("lots\n")
    (container_dir(paths, "memory") / "memory.max_usage_in_bytes").write_text("\x00\xff")
    (container_dir(paths, "blkio") / "blkio.throttle.io_service_bytes_recursive").write_text(
        "x:y Read 1\n254:0 Write lots\n254:0\n"
    )
    (container_dir(paths, "pids") / "pids.current").write_text("two\n")
    (container_dir(paths, "pids") / "pids.max").write_text("?\n")
    stats = read_cgroup_stats(paths, HOST_MEMORY)
    assert stats.cpu == CpuStats(0, 0, 0, (1, 0, 3), 0, 4, 0)
    assert stats.memory.usage == 0
    assert stats.memory.stats == {"cache": 0, "rss": 4096}
    assert stats.memory.limit is None
    assert stats.memory.max_usage is None
    assert stats.blkio_service_bytes == (BlkioEntry(254, 0, "Write", 0),)
    assert (stats.pids_current, stats.pids_limit) == (0, None)


def test_malformed_v2_values_give_zero(copy_fixture: Callable[[str], Path]) -> None:
    paths = v2_paths(copy_fixture("v2"))
    directory = container_dir(paths)
    (directory / "cpu.stat").write_text("usage_usec ten\nuser_usec 5\n")
    (directory / "memory.current").write_text("-1\n")
    (directory / "memory.events").write_text("oom\n")
    (directory / "memory.max").write_text("1.5G\n")
    stats = read_cgroup_stats(paths, HOST_MEMORY)
    assert (stats.cpu.total_ns, stats.cpu.user_ns) == (0, 5_000)
    assert stats.memory.usage == 0
    assert stats.memory.failcnt == 0
    assert stats.memory.limit is None


# ---- a vanished cgroup ------------------------------------------------------------------------


def test_vanished_v1_directory_raises_cgroup_gone(tmp_path: Path) -> None:
    paths = split_paths(tmp_path)  # mount points exist nowhere: the container has gone
    with pytest.raises(CgroupGone) as raised:
        read_cgroup_stats(paths, HOST_MEMORY)
    assert isinstance(raised.value, RuntimeFailure)
    assert raised.value.directory == paths.controllers["cpuacct"]


def test_vanished_v2_directory_raises_cgroup_gone(tmp_path: Path) -> None:
    with pytest.raises(CgroupGone, match="no longer exists"):
        read_cgroup_stats(v2_paths(tmp_path), HOST_MEMORY)


def test_one_v1_controller_directory_gone_raises_cgroup_gone(
    copy_fixture: Callable[[str], Path],
) -> None:
    paths = split_paths(copy_fixture("v1-split"))
    shutil.rmtree(container_dir(paths, "memory"))
    with pytest.raises(CgroupGone):
        read_cgroup_stats(paths, HOST_MEMORY)


def test_a_read_from_a_cgroup_being_removed_raises_cgroup_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def enodev(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENODEV, "No such device")

    monkeypatch.setattr(readers, "FILES", readers.OpenFiles())
    monkeypatch.setattr(readers, "_open", enodev)
    with pytest.raises(CgroupGone):
        read_cgroup_stats(v2_paths(), HOST_MEMORY)


def test_an_unreadable_file_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(readers, "FILES", readers.OpenFiles())
    monkeypatch.setattr(readers, "_open", refuse)
    stats = read_cgroup_stats(v2_paths(), HOST_MEMORY)
    assert (stats.cpu.total_ns, stats.memory.usage, stats.memory.limit) == (0, 0, None)


# ---- container_cgroup_paths ----------------------------------------------------------------


def no_controllers(_point: object) -> str:
    return ""


def test_paths_on_this_machines_hybrid_layout_are_v1_with_cpu_and_cpuacct_apart() -> None:
    layout = parse_layout((DATA / "hybrid-fixed.mountinfo").read_text(), no_controllers)
    paths = container_cgroup_paths(layout, f"/tuibox/{SPLIT_ID}")
    assert paths.version == 1
    assert paths.unified is None
    assert dict(paths.controllers) == {
        name: Path("/sys/fs/cgroup") / name / "tuibox" / SPLIT_ID for name in V1_CONTROLLERS
    }


def test_paths_on_a_joined_v1_layout_share_the_cpu_cpuacct_directory() -> None:
    layout = parse_layout((DATA / "v1.mounts").read_text(), no_controllers)
    paths = container_cgroup_paths(layout, f"/tuibox/{JOINED_ID}")
    joined = Path("/sys/fs/cgroup/cpu,cpuacct/tuibox") / JOINED_ID
    assert paths.version == 1
    assert paths.controllers["cpu"] == paths.controllers["cpuacct"] == joined
    assert paths.controllers["memory"] == Path("/sys/fs/cgroup/memory/tuibox") / JOINED_ID
    assert "blkio" not in paths.controllers  # that fixture mounts no blkio hierarchy


def test_paths_on_a_hybrid_layout_with_hugetlb_on_cgroup2_stay_v1() -> None:
    mountinfo = (DATA / "hybrid-hugetlb-on-unified.mountinfo").read_text()
    layout = parse_layout(mountinfo, lambda _point: "hugetlb\n")
    paths = container_cgroup_paths(layout, f"/tuibox/{SPLIT_ID}")
    assert paths.version == 1
    assert paths.controllers["memory"] == Path("/sys/fs/cgroup/memory/tuibox") / SPLIT_ID


def test_paths_on_a_hybrid_layout_whose_cgroup2_holds_the_controllers_are_v2() -> None:
    layout = CgroupLayout(
        "hybrid",
        {"name=systemd": Path("/sys/fs/cgroup/systemd")},
        Path("/sys/fs/cgroup/unified"),
        ("cpu", "io", "memory", "pids"),
    )
    paths = container_cgroup_paths(layout, f"/tuibox/{V2_ID}")
    assert paths.version == 2
    assert paths.unified == Path("/sys/fs/cgroup/unified/tuibox") / V2_ID
    assert dict(paths.controllers) == {}


def test_paths_on_pure_v2_are_the_one_unified_directory() -> None:
    layout = parse_layout((DATA / "v2.mountinfo").read_text(), lambda _p: "cpu io memory pids")
    paths = container_cgroup_paths(layout, f"/tuibox/{V2_ID}")
    assert paths == CgroupPaths(2, {}, Path("/sys/fs/cgroup/tuibox") / V2_ID)


def test_paths_without_any_cgroup_mount_are_refused() -> None:
    with pytest.raises(HostNotReady):
        container_cgroup_paths(CgroupLayout("none"), f"/tuibox/{V2_ID}")


def test_cgroup_paths_reject_inconsistent_fields() -> None:
    with pytest.raises(ValueError):
        CgroupPaths(2)
    with pytest.raises(ValueError):
        CgroupPaths(1, {}, Path("/sys/fs/cgroup/x"))


def test_a_file_the_kernel_lacks_is_tried_once_per_cgroup_parent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(DATA / "v2", tmp_path / "v2")
    paths = v2_paths(tmp_path / "v2")
    assert paths.unified is not None
    (paths.unified / "memory.peak").unlink()  # a kernel older than 5.19
    opened: list[str] = []
    real_open = readers._open

    def counting(path: str, flags: int) -> int:
        opened.append(os.path.basename(path))
        return real_open(path, flags)

    monkeypatch.setattr(readers, "FILES", readers.OpenFiles())
    monkeypatch.setattr(readers, "_open", counting)
    monkeypatch.setattr(readers, "_ABSENT", set())
    assert read_cgroup_stats(paths, HOST_MEMORY).memory.max_usage is None
    assert "memory.peak" in opened
    opened.clear()
    assert read_cgroup_stats(paths, HOST_MEMORY).memory.max_usage is None
    assert "memory.peak" not in opened


def test_open_files_are_read_again_fresh_and_closed_when_forgotten(tmp_path: Path) -> None:
    files = readers.OpenFiles(limit=2)
    (tmp_path / "a").write_text("1")
    (tmp_path / "b").write_text("2")
    (tmp_path / "c").write_text("3")
    assert files.read(str(tmp_path / "a")) == b"1"
    (tmp_path / "a").write_text("10")
    assert files.read(str(tmp_path / "a")) == b"10"
    files.read(str(tmp_path / "b"))
    files.read(str(tmp_path / "c"))  # over the limit: the oldest is closed
    assert len(files._fds) == 2 and str(tmp_path / "a") not in files._fds
    files.forget(str(tmp_path))
    assert not files._fds
    (tmp_path / "big").write_bytes(b"x" * 70_000)
    assert len(files.read(str(tmp_path / "big"))) == 70_000
