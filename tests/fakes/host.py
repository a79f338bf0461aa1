"""LIMITS: a fake host's limit support, fixed to this machine kind's (2 CPUs, cgroup v1)."""

from __future__ import annotations

from tuibox.engine.domain.host import LimitSupport

LIMITS = LimitSupport(
    cpus=2,
    cpuset_cpus=frozenset({0, 1}),
    cpuset_mems=frozenset({0}),
    swap=True,
    swappiness=True,
    blkio_weight=False,  # no BFQ scheduler in use here, so no blkio.weight file
)
"""What the service and rule tests' host can enforce; the real engine detects its own."""
