"""Builds the engine's stores and services from its configuration, in dependency order."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.services.containers import ContainerService
from tuibox.engine.services.events import EventBus
from tuibox.engine.services.host_check import HostFacts
from tuibox.engine.services.images import ImageService
from tuibox.engine.services.system import SystemService
from tuibox.engine.store.containers import ContainerStore


@dataclass(frozen=True)
class EngineState:
    """The services one engine process runs with."""

    events: EventBus
    images: ImageService
    containers: ContainerService
    system: SystemService


DATA_ROOT_MODE = 0o700
EXEC_ROOT_MODE = 0o711


def open_engine_state(config: EngineConfig, facts: HostFacts) -> EngineState:
    """Open the stores under the data root and compose the services.

    The data root holds image content, container root filesystems and their setuid
    binaries, so only root may enter it (CVE-2021-41091); the exec root may be crossed
    to reach a socket inside it, never listed.
    """
    for directory, mode in ((config.data_root, DATA_ROOT_MODE), (config.exec_root, EXEC_ROOT_MODE)):
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, mode)
    events = EventBus()
    images = ImageService.open(config)
    runtime = ConmonRuntime(
        config.exec_root, crun_path=facts.crun_path, conmon_path=facts.conmon_path
    )
    containers = ContainerService(
        ContainerStore(config.data_root / "containers"),
        images,
        runtime,
        events,
        nofile_limit=facts.nofile_limit,
        cgroup_parent=config.cgroup_parent,
    )
    system = SystemService(config, facts, containers, images)
    return EngineState(events, images, containers, system)
