"""FakeMetrics: a fake of the host's /proc and cgroup files, playing scripted figures.

Each container's figures advance by what a test sets per tick (CPU time, bytes), so the
sampler's derived figures (CPU %, rates) can be checked against hand-computed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tuibox.engine.cgroups.stats import BlkioEntry, CgroupStats, CpuStats, MemoryStats
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.metrics import ContainerReading, HostSample, NetCounters

GIB = 1024**3


@dataclass
class FakeContainer:
    """One container's counters; `step` is added to them at every read."""

    cpu_ns: int = 0
    cpu_step_ns: int = 0
    memory: int = 10 * 1024**2
    inactive_file: int = 2 * 1024**2
    memory_limit: int | None = None
    rx: int = 0
    tx: int = 0
    rx_step: int = 0
    tx_step: int = 0
    read: int = 0
    write: int = 0
    read_step: int = 0
    write_step: int = 0
    pids: int = 1
    pids_limit: int | None = None
    processes: list[int] = field(default_factory=list)
    gone: bool = False
    oom_kills: int = 0


class FakeMetrics:
    """A fake MetricsSource: a host whose CPU time advances by `host_step_ns` per read.

    `containers[cgroup_path]` holds each container's counters; one not there (or marked
    gone) raises as a cgroup that vanished does. `ps_output` is what `ps` prints.
    """

    def __init__(self, cpus: int = 2, host_step_ns: int = 2_000_000_000) -> None:
        self.cpus = cpus
        self.host_step_ns = host_step_ns
        self.system_ns = 0
        self.idle_ns = 0
        self.idle_step_ns = host_step_ns // 2
        self.containers: dict[str, FakeContainer] = {}
        self.ps_output = "UID PID PPID C STIME TTY TIME CMD\n"
        self.ps_calls: list[list[str]] = []
        self.reads = 0
        self.forgotten: list[str] = []

    def host(self) -> HostSample:
        self.system_ns += self.host_step_ns
        self.idle_ns += self.idle_step_ns
        return HostSample(self.system_ns, self.idle_ns, self.cpus, 8 * GIB, 2 * GIB,
                          (0.5, 0.25, 0.125))  # fmt: skip

    def container(self, cgroup_path: str, pid: int, host_memory: int) -> ContainerReading:
        self.reads += 1
        fake = self.containers.get(cgroup_path)
        if fake is None or fake.gone:
            raise RuntimeFailure(f"cgroup {cgroup_path} no longer exists")
        fake.cpu_ns += fake.cpu_step_ns
        fake.rx += fake.rx_step
        fake.tx += fake.tx_step
        fake.read += fake.read_step
        fake.write += fake.write_step
        cpu = CpuStats(fake.cpu_ns, fake.cpu_ns // 4, fake.cpu_ns // 4 * 3,
                       (fake.cpu_ns // 2, fake.cpu_ns - fake.cpu_ns // 2), 0, 0, 0)  # fmt: skip
        memory = MemoryStats(
            fake.memory, fake.memory_limit, fake.memory, 0,
            {"total_inactive_file": fake.inactive_file, "cache": fake.inactive_file},
        )  # fmt: skip
        blkio = (BlkioEntry(8, 0, "Read", fake.read), BlkioEntry(8, 0, "Write", fake.write))
        stats = CgroupStats(cpu, memory, blkio, fake.pids, fake.pids_limit)
        networks = {"eth0": NetCounters(fake.rx, 1, 0, 0, fake.tx, 1, 0, 0)}
        return ContainerReading(stats, networks, 1)

    def oom_kills(self, cgroup_path: str) -> int:
        fake = self.containers.get(cgroup_path)
        return fake.oom_kills if fake is not None else 0

    def forget(self, cgroup_path: str) -> None:
        self.forgotten.append(cgroup_path)

    def container_pids(self, cgroup_path: str) -> list[int]:
        fake = self.containers.get(cgroup_path)
        return list(fake.processes) if fake is not None else []

    async def ps(self, args: list[str]) -> str:
        self.ps_calls.append(args)
        return self.ps_output

    def copy_of(self, cgroup_path: str) -> FakeContainer:
        """A snapshot of a container's counters as they are now."""
        return replace(self.containers[cgroup_path])
