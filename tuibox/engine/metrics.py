"""Host and process figures for the stats sampler: /proc/stat, a netns's interfaces, psutil, ps.

Blocking and cheap (a few small files); the sampler calls them in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from tuibox.engine.cgroups.layout import CgroupLayout
from tuibox.engine.cgroups.paths import CgroupPaths, container_cgroup_paths
from tuibox.engine.cgroups.readers import forget_cgroup, read_cgroup_stats, read_oom_kills
from tuibox.engine.cgroups.stats import CgroupStats
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure

PROC = Path("/proc")
NANOSECONDS_PER_TICK = 10_000_000
"""Docker reads /proc/stat in ticks of 1/100 s (CLK_TCK is 100 on Linux), as ns."""
PS_TIMEOUT = 10.0


@dataclass(frozen=True)
class HostSample:
    """The host at one moment: CPU time as Docker counts it, memory, load."""

    system_usage_ns: int
    """The first seven numbers of /proc/stat's cpu line, in ns: Docker's system_cpu_usage."""
    idle_ns: int
    """idle + iowait, in ns: for the host's own CPU %."""
    online_cpus: int
    memory_total: int
    memory_used: int
    load: tuple[float, float, float]


@dataclass(frozen=True)
class NetCounters:
    """One interface's counters, as Docker's stats report them."""

    rx_bytes: int
    rx_packets: int
    rx_errors: int
    rx_dropped: int
    tx_bytes: int
    tx_packets: int
    tx_errors: int
    tx_dropped: int


@dataclass(frozen=True)
class ContainerReading:
    """One container's figures at one moment: its cgroup and its network interfaces."""

    cgroup: CgroupStats
    networks: dict[str, NetCounters]
    cgroup_version: int = 1


class HostMetrics:
    """The real metrics source: /proc, the container's cgroup files, the host's ps."""

    def __init__(self, layout: CgroupLayout) -> None:
        self.layout = layout
        self._paths: dict[str, CgroupPaths] = {}

    def _cgroup(self, cgroup_path: str) -> CgroupPaths:
        paths = self._paths.get(cgroup_path)
        if paths is None:
            if len(self._paths) > 4096:  # containers come and go; keep the cache small
                self._paths.clear()
            paths = self._paths[cgroup_path] = container_cgroup_paths(self.layout, cgroup_path)
        return paths

    def host(self) -> HostSample:
        return read_host()

    def container(self, cgroup_path: str, pid: int, host_memory: int) -> ContainerReading:
        paths = self._cgroup(cgroup_path)
        stats = read_cgroup_stats(paths, host_memory)
        return ContainerReading(stats, read_networks(pid), paths.version)

    def forget(self, cgroup_path: str) -> None:
        """Close what reading the container kept open: it stopped."""
        paths = self._paths.pop(cgroup_path, None)
        if paths is not None:
            forget_cgroup(paths)

    def oom_kills(self, cgroup_path: str) -> int:
        return read_oom_kills(container_cgroup_paths(self.layout, cgroup_path))

    def container_pids(self, cgroup_path: str) -> list[int]:
        paths = self._cgroup(cgroup_path)
        directory = paths.unified or paths.controllers.get("pids") or paths.controllers.get(
            "memory")  # fmt: skip
        return cgroup_pids(directory) if directory is not None else []

    async def ps(self, args: list[str]) -> str:
        return await run_ps(args)


def read_host(proc: Path = PROC) -> HostSample:
    """Read /proc/stat, the memory figures and the load average."""
    system_usage = idle = 0
    online = 0
    for line in (proc / "stat").read_text().splitlines():
        if line.startswith("cpu "):
            ticks = [int(word) for word in line.split()[1:]]
            system_usage = sum(ticks[:7]) * NANOSECONDS_PER_TICK
            idle = sum(ticks[3:5]) * NANOSECONDS_PER_TICK
        elif line.startswith("cpu"):
            online += 1
    memory = psutil.virtual_memory()
    return HostSample(
        system_usage_ns=system_usage,
        idle_ns=idle,
        online_cpus=online or os.cpu_count() or 1,
        memory_total=int(memory.total),
        memory_used=int(memory.total - memory.available),
        load=os.getloadavg(),
    )


def read_networks(pid: int, proc: Path = PROC) -> dict[str, NetCounters]:
    """The interfaces of the network namespace process `pid` lives in, loopback left out.

    Docker reports the container's own interfaces (eth0 and the like), not `lo`; an
    interface added later (a veth) appears here by itself. A process that is gone has none.
    """
    try:
        fd = os.open(proc / str(pid) / "net" / "dev", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        text = os.read(fd, 65536).decode("ascii", errors="replace")
    except OSError:
        return {}
    finally:
        os.close(fd)
    networks: dict[str, NetCounters] = {}
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        numbers = rest.split()
        if not sep or len(numbers) < 12 or name.strip() == "lo":
            continue
        try:
            values = [int(n) for n in numbers]
        except ValueError:
            continue
        networks[name.strip()] = NetCounters(
            rx_bytes=values[0], rx_packets=values[1], rx_errors=values[2], rx_dropped=values[3],
            tx_bytes=values[8], tx_packets=values[9], tx_errors=values[10], tx_dropped=values[11],
        )  # fmt: skip
    return networks


def cgroup_pids(directory: Path) -> list[int]:
    """The processes in a cgroup directory (its cgroup.procs), [] when it is gone."""
    try:
        return [int(word) for word in (directory / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


async def run_ps(args: list[str]) -> str:
    """Run the host's `ps` with `args`, as `docker top` does; its standard output.

    Raises:
        InvalidArgument: ps refused the arguments (its own words).
        RuntimeFailure: ps is missing or hangs.
    """
    # A daemon has no terminal: ps must not cut lines to a COLUMNS the engine inherited.
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        proc = await asyncio.create_subprocess_exec(
            "ps", *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except OSError as err:
        raise RuntimeFailure(f"cannot run ps: {err}") from err
    try:
        async with asyncio.timeout(PS_TIMEOUT):
            stdout, stderr = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeFailure("ps did not finish in time") from None
    if proc.returncode != 0:
        text = stderr.decode(errors="replace").strip().splitlines()
        raise InvalidArgument(
            f"Error running ps: {text[0] if text else f'exit status {proc.returncode}'}"
        )
    return stdout.decode(errors="replace")
