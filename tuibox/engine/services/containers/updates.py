"""Provides ContainerUpdates: `docker update`, new limits for a container, running or not."""

from __future__ import annotations

import copy
from typing import Any

from tuibox.engine.domain.errors import Conflict, InvalidArgument, RuntimeFailure
from tuibox.engine.domain.host import LimitSupport
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.rules.create import check_restart_policy
from tuibox.engine.services.containers.rules.fields import is_unset
from tuibox.engine.services.containers.rules.limits import (
    UPDATABLE,
    check_limits,
    check_types,
    merged_update,
    oci_resources,
)

UPDATE_FLAGS = {
    "KernelMemory": "--kernel-memory",
    "KernelMemoryTCP": "--kernel-memory-tcp",
    "CpuRealtimePeriod": "--cpu-rt-period",
    "CpuRealtimeRuntime": "--cpu-rt-runtime",
    "BlkioWeightDevice": "--blkio-weight-device",
    "BlkioDeviceReadBps": "--device-read-bps",
    "BlkioDeviceWriteBps": "--device-write-bps",
    "BlkioDeviceReadIOps": "--device-read-iops",
    "BlkioDeviceWriteIOps": "--device-write-iops",
    "MemorySwappiness": "--memory-swappiness",
    "OomKillDisable": "--oom-kill-disable",
    "Devices": "--device",
    "DeviceCgroupRules": "--device-cgroup-rule",
    "DeviceRequests": "--gpus",
    "Ulimits": "--ulimit",
    "CgroupParent": "--cgroup-parent",
}
"""Update fields the engine cannot change, with the flag to name when one has a value."""


class ContainerUpdates:
    """Changes a container's limits: in its record, and in its cgroup when it runs."""

    def __init__(self, context: ContainerContext, runtime: Runtime, limits: LimitSupport) -> None:
        self.context = context
        self.runtime = runtime
        self.limits = limits

    async def update(self, given: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply `docker update`'s body; the record changes only if the cgroup took it.

        Returns:
            Docker's ContainerUpdateResponse: {"Warnings": []}.

        Raises:
            NotFound: no such container.
            InvalidArgument: a limit is out of range, or a field cannot be updated (named).
            Conflict: the kernel refused the new limits (memory below what is in use).
        """
        _check_fields(body)
        record = self.context.lookup(given)
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            host_config = merged_update(record.host_config, body)
            policy = body.get("RestartPolicy") or {}
            if policy.get("Name"):  # the CLI sends an empty one when --restart is not given
                check_restart_policy(policy, record.auto_remove)
                host_config["RestartPolicy"] = {"Name": policy["Name"],
                                                "MaximumRetryCount": policy.get(
                                                    "MaximumRetryCount") or 0}  # fmt: skip
            check_limits(host_config, self.limits)
            if record.state.running:
                try:
                    await self.runtime.update(record.id, _update_resources(host_config, body))
                except RuntimeFailure as err:
                    raise Conflict(f"Cannot update container {given}: {err}") from err
            record.host_config = host_config
            self.context.save(record)
            self.context.publish(record, "update")
        return {"Warnings": []}


    async def rename(self, given: str, new_name: str) -> None:
        """`docker rename`: the name changes, running or not; the record is saved.

        Raises:
            NotFound: no such container.
            InvalidArgument: no new name, an invalid one, or the current one.
            Conflict: another container has the name.
        """
        if not new_name:
            raise InvalidArgument("the new name is missing: pass name=NEW_NAME")
        record = self.context.lookup(given)
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            if new_name.lstrip("/") == record.name:
                raise InvalidArgument("Renaming a container with the same name as its current name")
            final = self.context.claim_name(new_name)
            old = record.name
            record.name = final
            self.context.save(record)
            self.context.publish(record, "rename", oldName=f"/{old}")


def _check_fields(body: dict[str, Any]) -> None:
    if not isinstance(body, dict):
        raise InvalidArgument("the update body must be a JSON object")
    check_types(body)
    for key, value in body.items():
        if key in UPDATABLE:
            continue
        if key == "RestartPolicy":
            check_restart_policy(value)
            continue
        if is_unset(value):
            continue
        flag = UPDATE_FLAGS.get(key)
        if flag:
            raise InvalidArgument(f"{flag} cannot be updated by the tuibox engine ({key})")
        raise InvalidArgument(
            f"the update field {key} is not supported by the tuibox engine; leave it out"
        )


def _update_resources(host_config: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The OCI resources to write: the new limits, and "unlimited" where one was lifted.

    A fresh container needs no "unlimited" (it is the kernel's default); an update that
    lifts a limit (`--pids-limit -1`, `--cpu-quota -1`, `--memory-swap -1`) must write it.
    """
    resources = copy.deepcopy(oci_resources(host_config))
    if body.get("PidsLimit") is not None and body["PidsLimit"] <= 0:
        resources["pids"] = {"limit": 0}
    if body.get("CpuQuota") == -1:
        resources.setdefault("cpu", {})["quota"] = -1
    if body.get("MemorySwap") == -1:
        resources.setdefault("memory", {})["swap"] = -1
    return resources
