"""Resource limits: Docker's checks of --memory, --cpus and the rest, and the OCI resources.

The same rules serve `docker create` and `docker update`. A limit the host cannot enforce
is refused by name rather than dropped; where Docker only warns and clamps (a cpu-shares
value out of the kernel's range), tuibox refuses, so what inspect shows is what applies.
"""

from __future__ import annotations

from typing import Any

from tuibox.engine.cgroups.support import parse_cpu_list
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.host import LimitSupport

MIN_MEMORY = 6 * 1024 * 1024
"""Docker's smallest memory limit and reservation on Linux: 6 MB."""
MIN_CPU_SHARES, MAX_CPU_SHARES = 2, 262144
"""The kernel's range for cpu.shares."""
MIN_CFS, MAX_CFS_PERIOD = 1000, 1000000
"""CFS quota and period in microseconds: at least 1 ms, a period at most 1 s."""
NANOCPU_PERIOD = 100000
"""The CFS period `--cpus` uses (100 ms), as Docker."""

INT_FIELDS = (
    "Memory", "MemoryReservation", "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod",
    "CpuQuota", "PidsLimit", "BlkioWeight",
)  # fmt: skip
"""The limits whose values are integers; MemorySwappiness (int or null) is checked apart."""
STRING_FIELDS = ("CpusetCpus", "CpusetMems")
LIMIT_FIELDS = (*INT_FIELDS, "MemorySwappiness", *STRING_FIELDS)
"""Every limit HostConfig field these rules honour."""


def check_limits(host_config: dict[str, Any], support: LimitSupport) -> None:
    """Refuse limits Docker would refuse, and those this host cannot enforce.

    Raises:
        InvalidArgument: with Docker's wording where Docker has one.
    """
    check_types(host_config)
    _check_memory(host_config, support)
    _check_cpu(host_config, support)
    weight = host_config.get("BlkioWeight") or 0
    if weight:
        if not 10 <= weight <= 1000:
            raise InvalidArgument("Range of blkio weight is from 10 to 1000")
        if not support.blkio_weight:
            raise InvalidArgument(
                "--blkio-weight cannot be enforced on this host: its kernel offers no blkio "
                "weight (blkio.weight or blkio.bfq.weight; the BFQ I/O scheduler provides it)"
            )


def check_types(host_config: dict[str, Any]) -> None:
    """Refuse a limit of the wrong type: integers that fit 64 bits, cpuset lists as strings.

    Raises:
        InvalidArgument: naming the field.
    """
    for key in INT_FIELDS:
        value = host_config.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidArgument(f"HostConfig.{key} must be an integer")
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise InvalidArgument(f"HostConfig.{key} does not fit 64 bits")
    for key in STRING_FIELDS:
        if host_config.get(key) is not None and not isinstance(host_config[key], str):
            raise InvalidArgument(f"HostConfig.{key} must be a string")


def _check_memory(host_config: dict[str, Any], support: LimitSupport) -> None:
    memory = host_config.get("Memory") or 0
    swap = host_config.get("MemorySwap") or 0
    reservation = host_config.get("MemoryReservation") or 0
    if memory < 0 or reservation < 0 or swap < -1:
        raise InvalidArgument("memory limits must not be negative (MemorySwap -1 is unlimited)")
    if memory and memory < MIN_MEMORY:
        raise InvalidArgument("Minimum memory limit allowed is 6MB")
    if swap > 0 and not support.swap:
        raise InvalidArgument(
            "--memory-swap cannot be enforced on this host: its kernel does not account "
            "swap (no memory.memsw files; boot with swapaccount=1)"
        )
    if swap > 0 and not memory:
        raise InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    if swap > 0 and swap < memory:
        raise InvalidArgument(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    if reservation and reservation < MIN_MEMORY:
        raise InvalidArgument("Minimum memory reservation allowed is 6MB")
    if memory and reservation and memory < reservation:
        raise InvalidArgument(
            "Minimum memory limit can not be less than memory reservation limit, see usage"
        )
    swappiness = host_config.get("MemorySwappiness")
    if swappiness is None or swappiness == -1:
        return
    if not isinstance(swappiness, int) or isinstance(swappiness, bool):
        raise InvalidArgument("HostConfig.MemorySwappiness must be an integer")
    if not 0 <= swappiness <= 100:
        raise InvalidArgument(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )
    if not support.swappiness:
        raise InvalidArgument(
            "--memory-swappiness cannot be enforced on this host (cgroup v2 has no swappiness)"
        )


def _check_cpu(host_config: dict[str, Any], support: LimitSupport) -> None:
    nano = host_config.get("NanoCpus") or 0
    period = host_config.get("CpuPeriod") or 0
    quota = host_config.get("CpuQuota") or 0
    shares = host_config.get("CpuShares") or 0
    if nano and period:
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if nano and quota > 0:
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    if nano < 0 or nano > support.cpus * 10**9:
        raise InvalidArgument(
            f"Range of CPUs is from 0.01 to {support.cpus}.00, as there are only "
            f"{support.cpus} CPUs available"
        )
    if nano and nano * NANOCPU_PERIOD // 10**9 < MIN_CFS:
        raise InvalidArgument(f"Range of CPUs is from 0.01 to {support.cpus}.00")
    if period and not MIN_CFS <= period <= MAX_CFS_PERIOD:
        raise InvalidArgument(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s "
            "(i.e. 1000000)"
        )
    if quota > 0 and quota < MIN_CFS:
        raise InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if shares and not MIN_CPU_SHARES <= shares <= MAX_CPU_SHARES:
        raise InvalidArgument(
            f"--cpu-shares {shares} is out of the kernel's range: from {MIN_CPU_SHARES} to "
            f"{MAX_CPU_SHARES} (the default weight is 1024)"
        )
    for key, flag, available in (("CpusetCpus", "CPUs", support.cpuset_cpus),
                                 ("CpusetMems", "Memory nodes", support.cpuset_mems)):  # fmt: skip
        wanted = host_config.get(key) or ""
        if not wanted:
            continue
        try:
            numbers = parse_cpu_list(wanted)
        except ValueError:
            numbers = frozenset()
        if not numbers:
            noun = "cpus" if key == "CpusetCpus" else "mems"
            raise InvalidArgument(f"Invalid value {wanted} for cpuset {noun}")
        if not numbers <= available:
            raise InvalidArgument(
                f"Requested {flag} are not available - requested {wanted}, available: "
                f"{_cpu_list(available)}"
            )


def _cpu_list(numbers: frozenset[int]) -> str:
    """The kernel's list format: 0-1,3."""
    ranges: list[str] = []
    for number in sorted(numbers):
        if ranges and number - 1 == int(ranges[-1].rpartition("-")[2]):
            ranges[-1] = f"{ranges[-1].partition('-')[0]}-{number}"
        else:
            ranges.append(str(number))
    return ",".join(ranges)


def inspect_limits(host_config: dict[str, Any], support: LimitSupport) -> dict[str, Any]:
    """The limits as inspect shows them: swap twice the memory limit unless given, as Docker."""
    result = dict(host_config)
    for key in INT_FIELDS:
        if key != "PidsLimit":  # Docker shows null for no pids limit, 0 for the others
            result[key] = result.get(key) or 0
    for key in STRING_FIELDS:
        result[key] = result.get(key) or ""
    if result["Memory"] and not result["MemorySwap"] and support.swap:
        result["MemorySwap"] = 2 * result["Memory"]
    result.setdefault("MemorySwappiness", None)
    result.setdefault("PidsLimit", None)
    return result


def oci_resources(host_config: dict[str, Any]) -> dict[str, Any]:
    """The OCI `linux.resources` members (all but devices) for the limits in a HostConfig."""
    resources: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    if host_config.get("Memory"):
        memory["limit"] = host_config["Memory"]
    if host_config.get("MemoryReservation"):
        memory["reservation"] = host_config["MemoryReservation"]
    if (host_config.get("MemorySwap") or 0) > 0:  # -1, unlimited, is the kernel's default
        memory["swap"] = host_config["MemorySwap"]
    swappiness = host_config.get("MemorySwappiness")
    if swappiness is not None and swappiness >= 0:
        memory["swappiness"] = swappiness
    if memory:
        resources["memory"] = memory
    cpu: dict[str, Any] = {}
    if host_config.get("CpuShares"):
        cpu["shares"] = host_config["CpuShares"]
    if host_config.get("NanoCpus"):
        cpu["period"] = NANOCPU_PERIOD
        cpu["quota"] = host_config["NanoCpus"] * NANOCPU_PERIOD // 10**9
    if host_config.get("CpuPeriod"):
        cpu["period"] = host_config["CpuPeriod"]
    if (host_config.get("CpuQuota") or 0) > 0:
        cpu["quota"] = host_config["CpuQuota"]
    if host_config.get("CpusetCpus"):
        cpu["cpus"] = host_config["CpusetCpus"]
    if host_config.get("CpusetMems"):
        cpu["mems"] = host_config["CpusetMems"]
    if cpu:
        resources["cpu"] = cpu
    if (host_config.get("PidsLimit") or 0) > 0:
        resources["pids"] = {"limit": host_config["PidsLimit"]}
    if host_config.get("BlkioWeight"):
        resources["blockIO"] = {"weight": host_config["BlkioWeight"]}
    return resources


UPDATABLE = (
    "Memory", "MemoryReservation", "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod",
    "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight",
)  # fmt: skip
"""What `docker update` may change here (and RestartPolicy, checked by the caller)."""


def merged_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The HostConfig after `docker update`: a field given non-zero replaces the current one.

    Raises:
        InvalidArgument: memory raised above a swap limit that is not raised with it.
    """
    result = dict(current)
    memory, swap = update.get("Memory") or 0, update.get("MemorySwap") or 0
    current_swap = current.get("MemorySwap") or 0
    if memory and not swap and current_swap > 0 and memory > current_swap:
        raise InvalidArgument(
            "Memory limit should be smaller than already set memoryswap limit, update the "
            "memoryswap at the same time"
        )
    for key in UPDATABLE:
        value = update.get(key)
        if value is not None and value != 0 and value != "":
            result[key] = value
    if update.get("PidsLimit") is not None:  # 0 and -1 both lift the limit
        result["PidsLimit"] = update["PidsLimit"] if update["PidsLimit"] > 0 else -1
    if update.get("NanoCpus"):
        result["CpuPeriod"], result["CpuQuota"] = 0, 0
    elif update.get("CpuQuota") or update.get("CpuPeriod"):
        result["NanoCpus"] = 0
    return result
