"""Provides MetricsSource: what the stats sampler reads, the seam between it and the host."""

from __future__ import annotations

from typing import Protocol

from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.metrics import ContainerReading, HostSample

__all__ = ["ContainerReading", "MetricsSource", "NoMetrics"]


class MetricsSource(Protocol):
    """Reads the host and containers' cgroups; blocking but for `ps`, so called in a thread.

    The real one reads /proc and the cgroup files; unit tests hand the sampler a fake
    that plays scripted figures.
    """

    def host(self) -> HostSample:
        """The host now."""
        ...

    def container(self, cgroup_path: str, pid: int, host_memory: int) -> ContainerReading:
        """A container now, from its cgroup (e.g. "/tuibox/<id>") and its init's pid.

        Raises:
            CgroupGone: the container's cgroup is gone (it ended just now).
        """
        ...

    def container_pids(self, cgroup_path: str) -> list[int]:
        """The processes in the container's cgroup."""
        ...

    def oom_kills(self, cgroup_path: str) -> int:
        """How many processes the OOM killer killed in the container's cgroup (0 if gone)."""
        ...

    def forget(self, cgroup_path: str) -> None:
        """The container is no longer sampled: free what reading it kept."""
        ...

    async def ps(self, args: list[str]) -> str:
        """The host's `ps` output for these arguments (what `docker top` filters).

        Raises:
            InvalidArgument: ps refused the arguments.
        """
        ...


class NoMetrics:
    """A source with no containers: for engines composed without one (unit tests)."""

    def host(self) -> HostSample:
        return HostSample(0, 0, 1, 0, 0, (0.0, 0.0, 0.0))

    def container(self, cgroup_path: str, pid: int, host_memory: int) -> ContainerReading:
        raise RuntimeFailure(f"no metrics source for {cgroup_path}")

    def container_pids(self, cgroup_path: str) -> list[int]:
        return []

    def oom_kills(self, cgroup_path: str) -> int:
        return 0

    def forget(self, cgroup_path: str) -> None:
        return None

    async def ps(self, args: list[str]) -> str:
        return "PID CMD\n"
