"""Provides BundleWriter: mounts a container's root filesystem and writes its OCI config.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.runtime.oci_spec import (
    DEFAULT_CAPABILITIES,
    RuntimeSpec,
    build_oci_config,
    host_thermal_throttle_paths,
)
from tuibox.engine.runtime.seccomp import default_seccomp
from tuibox.engine.services.containers.context import ContainerPaths
from tuibox.engine.services.containers.rules.limits import oci_resources
from tuibox.engine.services.containers.rules.users import read_user_files, resolve_user
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.store.atomic import write_json_atomic


@dataclass(frozen=True)
class RunSettings:
    """What every container's config.json shares: limits, cgroup parent, security profile."""

    nofile_limit: int
    cgroup_parent: str
    seccomp: dict[str, Any]
    masked_paths: tuple[str, ...]

    @classmethod
    def docker_defaults(cls, nofile_limit: int, cgroup_parent: str) -> RunSettings:
        """Docker's default profile: its capabilities' seccomp filter, this host's masks."""
        return cls(
            nofile_limit=nofile_limit,
            cgroup_parent=cgroup_parent,
            seccomp=default_seccomp(DEFAULT_CAPABILITIES),
            masked_paths=host_thermal_throttle_paths(),
        )


class BundleWriter:
    """Prepares what the runtime needs to start a container; blocking, run it in a thread."""

    def __init__(self, images: ImageService, mounter: RootfsMounter, settings: RunSettings):
        self.images = images
        self.mounter = mounter
        self.settings = settings

    def prepare(self, record: ContainerRecord, paths: ContainerPaths) -> None:
        """Mount the rootfs (unless mounted), resolve the user in it, write config.json.

        Raises:
            NotFound: a layer of the container is missing from the layer store.
            InvalidArgument: the user is not known to the image's /etc/passwd.
            RuntimeFailure: the mount failed.
        """
        if not self.mounter.is_mounted(paths.rootfs):
            lowers = self.images.layer_dirs_for_chains(record.layer_chain)
            self.mounter.mount(lowers, paths.upper, paths.work, paths.rootfs)
        user = resolve_user(record.config.get("User") or "", *read_user_files(paths.rootfs))
        settings = self.settings
        spec = RuntimeSpec(
            container_id=record.id,
            rootfs=paths.rootfs,
            args=(record.path, *record.args),
            env=tuple(record.config["Env"]),
            cwd=record.config.get("WorkingDir") or "/",
            hostname=record.config.get("Hostname") or record.short_id,
            cgroup_path=record.cgroup_path or f"{settings.cgroup_parent}/{record.id}",
            nofile_limit=settings.nofile_limit,
            uid=user.uid,
            gid=user.gid,
            additional_gids=user.additional_gids,
            home=user.home,
            extra_masked_paths=settings.masked_paths,
            seccomp=settings.seccomp,
            resources=oci_resources(record.host_config),
        )
        config = build_oci_config(spec)
        write_json_atomic(paths.bundle / "config.json", config, durable=False)
