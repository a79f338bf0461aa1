"""Find which resource limits the host's cgroups can enforce (read once at engine start)."""

from __future__ import annotations

import os
from pathlib import Path

from tuibox.engine.cgroups.layout import CgroupLayout
from tuibox.engine.domain.host import LimitSupport


def parse_cpu_list(text: str) -> frozenset[int]:
    """The numbers of a kernel CPU list such as "0-3,8,10-11" (pure).

    Raises:
        ValueError: the text is not such a list.
    """
    numbers: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        low, high = int(first), int(last) if dash else int(first)
        if low < 0 or high < low:
            raise ValueError(f"not a CPU range: {part!r}")
        numbers.update(range(low, high + 1))
    return frozenset(numbers)


def _read_list(path: Path, fallback: frozenset[int]) -> frozenset[int]:
    try:
        return parse_cpu_list(path.read_text()) or fallback
    except (OSError, ValueError):
        return fallback


def detect_limit_support(layout: CgroupLayout) -> LimitSupport:
    """What the host can limit, from the files the root cgroups offer."""
    online = frozenset(os.sched_getaffinity(0))
    cpus = os.cpu_count() or len(online) or 1
    if layout.kind in ("v1", "hybrid") and "memory" in layout.v1_mounts:
        memory = layout.v1_mounts["memory"]
        blkio = layout.v1_mounts.get("blkio")
        cpuset = layout.v1_mounts.get("cpuset")
        return LimitSupport(
            cpus=cpus,
            cpuset_cpus=_read_list(cpuset / "cpuset.cpus", online) if cpuset else online,
            cpuset_mems=_read_list(cpuset / "cpuset.mems", frozenset({0})) if cpuset
            else frozenset({0}),
            swap=(memory / "memory.memsw.limit_in_bytes").exists(),
            swappiness=(memory / "memory.swappiness").exists(),
            blkio_weight=blkio is not None and any(
                (blkio / name).exists() for name in ("blkio.weight", "blkio.bfq.weight")
            ),
        )
    root = layout.unified_mount or Path("/sys/fs/cgroup")
    return LimitSupport(
        cpus=cpus,
        cpuset_cpus=_read_list(root / "cpuset.cpus.effective", online),
        cpuset_mems=_read_list(root / "cpuset.mems.effective", frozenset({0})),
        swap=Path("/proc/swaps").exists(),
        swappiness=False,
        blkio_weight="io" in layout.unified_controllers,
    )
