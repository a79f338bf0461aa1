"""Real conmon + crun on an overlay rootfs of busybox-static: create, start, logs, exits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tuibox.engine.cgroups.layout import detect_layout, fix_hybrid_controllers
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.host.check import check_host
from tuibox.engine.layers.overlay import is_mounted, mount_overlay, unmount
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.runtime.logs import read_log
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES, RuntimeSpec, build_oci_config
from tuibox.engine.runtime.seccomp import default_seccomp

pytestmark = pytest.mark.engine

BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "true", "echo", "sleep", "ip", "cat")
CGROUP_PARENT = "tuibox-test"


def require_engine_prerequisites() -> None:
    """Skip (or fail under CI=true) when this machine cannot run containers."""
    missing = [tool for tool in ("crun", "conmon") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root")
    if not BUSYBOX.is_file():
        missing.append(str(BUSYBOX))
    if missing:
        message = f"engine tests need {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def busybox_lower(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A lower dir holding bin/busybox and its applet links."""
    require_engine_prerequisites()
    fix_hybrid_controllers(detect_layout())  # as the engine does at start: crun needs it
    lower = tmp_path_factory.mktemp("busybox-lower")
    for name in ("bin", "proc", "sys", "dev", "tmp"):
        (lower / name).mkdir()
    shutil.copy2(BUSYBOX, lower / "bin/busybox")
    for applet in APPLETS:
        (lower / "bin" / applet).symlink_to("busybox")
    yield lower
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        with contextlib.suppress(OSError):
            (hierarchy / CGROUP_PARENT).rmdir()


class Containers:
    """Creates containers on overlay roots and removes every trace of them afterwards."""

    def __init__(self, root: Path, lower: Path) -> None:
        self.root = root
        self.lower = lower
        self.exec_root = root / "exec"
        self.runtime = ConmonRuntime(self.exec_root)
        self.created: list[str] = []

    def bundle(self, container_id: str) -> Path:
        return self.root / container_id

    def log_path(self, container_id: str) -> Path:
        return self.bundle(container_id) / "ctr.log"

    def prepare(self, args: tuple[str, ...], *, seccomp: bool = False) -> str:
        container_id = secrets.token_hex(32)
        self.created.append(container_id)
        bundle = self.bundle(container_id)
        for name in ("upper", "work", "merged"):
            (bundle / name).mkdir(parents=True)
        mount_overlay([self.lower], bundle / "upper", bundle / "work", bundle / "merged")
        spec = RuntimeSpec(
            container_id=container_id,
            rootfs=bundle / "merged",
            args=args,
            env=(),
            cwd="/",
            hostname=container_id[:12],
            cgroup_path=f"/{CGROUP_PARENT}/{container_id}",
            nofile_limit=1024,
            seccomp=default_seccomp(DEFAULT_CAPABILITIES) if seccomp else None,
        )
        (bundle / "config.json").write_text(json.dumps(build_oci_config(spec)))
        return container_id

    async def create(self, *args: str, seccomp: bool = False) -> str:
        container_id = self.prepare(args, seccomp=seccomp)
        bundle = self.bundle(container_id)
        await self.runtime.create(container_id, bundle, self.log_path(container_id))
        return container_id

    async def run(self, *args: str, seccomp: bool = False) -> str:
        container_id = await self.create(*args, seccomp=seccomp)
        await self.runtime.start(container_id)
        return container_id

    async def remove_all(self) -> None:
        for container_id in self.created:
            with contextlib.suppress(RuntimeFailure):
                await self.runtime.delete(container_id, force=True)
            with contextlib.suppress(RuntimeFailure, TimeoutError):
                await asyncio.wait_for(self.runtime.wait_exit(container_id), 5)
            self.runtime.cleanup(container_id)
            unmount(self.bundle(container_id) / "merged")


@pytest.fixture
async def containers(tmp_path: Path, busybox_lower: Path) -> AsyncIterator[Containers]:
    harness = Containers(tmp_path, busybox_lower)
    try:
        yield harness
    finally:
        await harness.remove_all()


async def records_of(harness: Containers, container_id: str) -> list[tuple[str, bytes]]:
    done = asyncio.Event()
    done.set()
    path = harness.log_path(container_id)
    return [(r.stream, r.data) async for r in read_log(path, follow=False, exited=done)]


async def test_output_lands_in_the_log_and_read_log_returns_it(containers: Containers) -> None:
    container_id = await containers.run("sh", "-c", "echo out; echo err >&2; printf tail")
    assert await containers.runtime.wait_exit(container_id) == 0
    records = await records_of(containers, container_id)
    assert ("stdout", b"out\n") in records
    assert ("stderr", b"err\n") in records
    assert ("stdout", b"tail") in records


async def test_follow_streams_while_running_and_ends_after_exit(containers: Containers) -> None:
    container_id = await containers.run("sh", "-c", "echo one; sleep 0.3; echo two")
    exited = asyncio.Event()
    log = containers.log_path(container_id)

    async def follow() -> list[bytes]:
        return [r.data async for r in read_log(log, follow=True, exited=exited)]

    reader = asyncio.create_task(follow())
    assert await containers.runtime.wait_exit(container_id) == 0
    exited.set()
    assert await asyncio.wait_for(reader, 2) == [b"one\n", b"two\n"]


async def test_exit_codes_are_recorded(containers: Containers) -> None:
    zero = await containers.run("true")
    three = await containers.run("sh", "-c", "exit 3")
    assert await containers.runtime.wait_exit(zero) == 0
    assert await containers.runtime.wait_exit(three) == 3
    assert containers.runtime.exit_code(three) == 3
    state = await containers.runtime.state(three)
    assert state is not None and state.status == "stopped"


async def test_sigkill_gives_137(containers: Containers) -> None:
    container_id = await containers.run("sleep", "300")
    state = await containers.runtime.state(container_id)
    assert state is not None and state.status == "running" and state.pid > 0
    assert containers.runtime.exit_code(container_id) is None
    await containers.runtime.kill(container_id, 9)
    assert await containers.runtime.wait_exit(container_id) == 137


async def test_wait_exit_from_a_fresh_runtime_while_conmon_runs(containers: Containers) -> None:
    container_id = await containers.run("sleep", "300")
    restarted = ConmonRuntime(containers.exec_root)  # as an engine restarted after SIGKILL
    assert restarted.conmon_alive(container_id)
    waiter = asyncio.create_task(restarted.wait_exit(container_id))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await restarted.kill(container_id, 9)
    assert await asyncio.wait_for(waiter, 5) == 137
    assert not restarted.conmon_alive(container_id)


async def test_created_container_has_loopback_up_and_docker_capabilities(
    containers: Containers,
) -> None:
    script = "ip link show lo; grep CapEff /proc/self/status; hostname; cat /proc/self/cgroup"
    container_id = await containers.run("sh", "-c", script)
    assert await containers.runtime.wait_exit(container_id) == 0
    output = b"".join(data for _, data in await records_of(containers, container_id)).decode()
    assert "LOOPBACK,UP" in output
    assert "00000000a80425fb" in output  # Docker's 14 default capabilities
    assert container_id[:12] in output
    assert f"/{CGROUP_PARENT}/{container_id}" in output


async def test_delete_is_idempotent_and_removes_the_cgroup(containers: Containers) -> None:
    container_id = await containers.run("true")
    await containers.runtime.wait_exit(container_id)
    memory_cgroup = Path("/sys/fs/cgroup/memory", CGROUP_PARENT, container_id)
    await containers.runtime.delete(container_id)
    await containers.runtime.delete(container_id)
    await containers.runtime.delete(container_id, force=True)
    assert await containers.runtime.state(container_id) is None
    assert not memory_cgroup.exists()


async def test_failing_create_names_the_executable_and_leaves_nothing(
    containers: Containers,
) -> None:
    with pytest.raises(RuntimeFailure, match="/bin/no-such-program"):
        await containers.create("/bin/no-such-program")
    container_id = containers.created[-1]
    runtime = containers.runtime
    assert await runtime.state(container_id) is None
    assert not runtime.paths.conmon_dir(container_id).exists()
    assert not runtime.paths.exit_file(container_id).exists()
    assert not Path("/sys/fs/cgroup/memory", CGROUP_PARENT, container_id).exists()


async def test_busybox_true_runs_under_dockers_seccomp_filter(containers: Containers) -> None:
    quiet = await containers.run("true", seccomp=True)
    assert await containers.runtime.wait_exit(quiet) == 0
    script = "grep '^Seccomp:' /proc/self/status; busybox unshare -n true; echo unshare=$?"
    container_id = await containers.run("sh", "-c", script, seccomp=True)
    assert await containers.runtime.wait_exit(container_id) == 0
    output = b"".join(data for _, data in await records_of(containers, container_id)).decode()
    assert "Seccomp:\t2" in output  # filter mode
    assert "unshare=1" in output and "Operation not permitted" in output


@pytest.mark.parametrize("seccomp", [False, True], ids=["plain", "seccomp"])
async def test_create_start_wait_delete_is_fast(containers: Containers, seccomp: bool) -> None:
    timings = []
    for _ in range(5):
        container_id = containers.prepare(("true",), seccomp=seccomp)
        started = time.perf_counter()
        bundle = containers.bundle(container_id)
        await containers.runtime.create(container_id, bundle, containers.log_path(container_id))
        await containers.runtime.start(container_id)
        assert await containers.runtime.wait_exit(container_id) == 0
        await containers.runtime.delete(container_id)
        timings.append(time.perf_counter() - started)
    median_ms = sorted(timings)[2] * 1000
    print(f"create+start+wait+delete of `true` (seccomp={seccomp}): {median_ms:.1f} ms median")
    assert sorted(timings)[2] < 0.5


def test_overlay_mount_is_seen_and_unmount_is_idempotent(
    tmp_path: Path, busybox_lower: Path
) -> None:
    for name in ("upper", "work", "merged"):
        (tmp_path / name).mkdir()
    target = tmp_path / "merged"
    mount_overlay([busybox_lower], tmp_path / "upper", tmp_path / "work", target)
    try:
        assert is_mounted(target)
        assert (target / "bin/busybox").is_file()
    finally:
        unmount(target)
    assert not is_mounted(target)
    unmount(target)


def test_this_hosts_cgroup_layout_is_accepted_after_the_engines_fix() -> None:
    require_engine_prerequisites()
    layout = detect_layout()
    moved = fix_hybrid_controllers(layout)  # what the engine's host check does at start
    assert sorted(moved) == sorted(layout.unified_controllers)
    fixed = detect_layout()
    assert fixed.unified_controllers == ()
    assert fix_hybrid_controllers(fixed) == []
    for controller in moved:
        assert controller in fixed.v1_mounts


def test_check_host_passes_here_and_leaves_no_probe(tmp_path: Path) -> None:
    require_engine_prerequisites()
    facts, problems = check_host(tmp_path / "exec")
    assert problems == []
    assert facts is not None
    assert facts.crun_path.endswith("crun") and facts.conmon_path.endswith("conmon")
    assert 0 < facts.nofile_limit <= min(1048576, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    assert facts.cgroup_layout in ("v1", "v2", "hybrid")
    assert list((tmp_path / "exec").iterdir()) == []


def test_check_host_names_missing_tools_with_the_apt_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_engine_prerequisites()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    facts, problems = check_host(tmp_path / "exec")
    assert facts is None
    assert [p.what for p in problems] == [
        "crun is not installed (not on PATH)",
        "conmon is not installed (not on PATH)",
    ]
    assert all(p.remedy == "apt-get install crun conmon" for p in problems)
    assert "fix: apt-get install crun conmon" in problems[0].line()
