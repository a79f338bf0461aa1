"""Provides SystemService: /version and /info, from the engine, host and registry settings."""

from __future__ import annotations

import ipaddress
import os
import platform
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tuibox
from tuibox.engine.domain.config import API_VERSION, MIN_API_VERSION, EngineConfig
from tuibox.engine.domain.container import Status
from tuibox.engine.domain.host import HostFacts
from tuibox.engine.domain.platform import go_arch
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.images.service import ImageService

ENGINE_ID = "tuibox"


class SystemService:
    """Answers `docker version` and `docker info`."""

    def __init__(
        self,
        config: EngineConfig,
        facts: HostFacts,
        containers: ContainerContext,
        images: ImageService,
    ) -> None:
        self.config = config
        self.facts = facts
        self.containers = containers
        self.images = images
        self.started = datetime.now(UTC)

    def version(self) -> dict[str, Any]:
        uname = platform.uname()
        details = {
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "tuibox",
            "GoVersion": f"python{platform.python_version()}",
            "Os": "linux",
            "Arch": go_arch(),
            "KernelVersion": uname.release,
            "BuildTime": self.started.isoformat().replace("+00:00", "Z"),
            "Experimental": "false",
        }
        return {
            "Platform": {"Name": "tuibox engine"},
            "Components": [
                {"Name": "Engine", "Version": tuibox.__version__, "Details": details},
                {"Name": "crun", "Version": self.facts.crun_version, "Details": {}},
                {"Name": "conmon", "Version": self.facts.conmon_version, "Details": {}},
            ],
            "Version": tuibox.__version__,
            **{k: v for k, v in details.items() if k != "Experimental"},
            "Experimental": False,
        }

    def info(self) -> dict[str, Any]:
        records = list(self.containers.records.values())
        running = sum(1 for r in records if r.state.status is Status.RUNNING)
        paused = sum(1 for r in records if r.state.status is Status.PAUSED)
        uname = platform.uname()
        return {
            "ID": ENGINE_ID,
            "Name": socket.gethostname(),
            "Containers": len(records),
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": len(records) - running - paused,
            "Images": self.images.image_count(),
            "ServerVersion": tuibox.__version__,
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "overlayfs"]],
            "SystemStatus": None,
            "Plugins": {
                "Volume": [],
                "Network": ["null"],
                "Authorization": None,
                "Log": ["json-file"],
            },
            "LoggingDriver": "json-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": "2" if self.facts.cgroup_layout == "v2" else "1",
            "Swarm": {"LocalNodeState": "inactive", "NodeID": "", "ControlAvailable": False},
            "Runtimes": {"crun": {"path": self.facts.crun_path}},
            "DefaultRuntime": "crun",
            "InitBinary": "",
            "ContainerdCommit": {"ID": ""},
            "RuncCommit": {"ID": ""},
            "InitCommit": {"ID": ""},
            "SecurityOptions": ["name=seccomp,profile=builtin"],
            "KernelVersion": uname.release,
            "OperatingSystem": _os_name(),
            "OSType": "linux",
            "Architecture": uname.machine,
            "NCPU": os.cpu_count() or 1,
            "MemTotal": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "DockerRootDir": str(self.config.data_root),
            "Debug": self.config.log_level == "debug",
            "ExperimentalBuild": False,
            "Labels": [],
            "LiveRestoreEnabled": True,
            "RegistryConfig": self.registry_config(),
            "Warnings": [],
        }

    def registry_config(self) -> dict[str, Any]:
        """Docker's RegistryConfig: mirrors, insecure CIDRs and per-registry index configs."""
        cidrs: list[str] = []
        index_configs: dict[str, Any] = {
            "docker.io": {
                "Name": "docker.io",
                "Mirrors": list(self.config.registry_mirrors),
                "Secure": True,
                "Official": True,
            }
        }
        for entry in self.config.insecure_registries:
            try:
                cidrs.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                index_configs[entry] = {
                    "Name": entry,
                    "Mirrors": [],
                    "Secure": False,
                    "Official": False,
                }
        if "127.0.0.0/8" not in cidrs:
            cidrs.append("127.0.0.0/8")
        return {
            "AllowNondistributableArtifactsCIDRs": None,
            "AllowNondistributableArtifactsHostnames": None,
            "InsecureRegistryCIDRs": cidrs,
            "IndexConfigs": index_configs,
            "Mirrors": list(self.config.registry_mirrors),
        }


def _os_name() -> str:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return "Linux"
    for line in lines:
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "Linux"
