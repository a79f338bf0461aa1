"""Provides BundleWriter: mounts a container's root filesystem and writes its OCI config.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import RuntimeFailure
from tuibox.engine.domain.mounts import DEFAULT_PROPAGATION, MountSpec
from tuibox.engine.layers.copy_up import copy_up
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

    def __init__(
        self,
        images: ImageService,
        mounter: RootfsMounter,
        settings: RunSettings,
        volume_dir: Callable[[str], str] = str,
    ) -> None:
        self.images = images
        self.mounter = mounter
        self.settings = settings
        self.volume_dir = volume_dir

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
        mounts = tuple(self._oci_mount(mount, paths.rootfs) for mount in record.mounts)
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
            mounts=mounts,
        )
        config = build_oci_config(spec)
        write_json_atomic(paths.bundle / "config.json", config, durable=False)

    def _oci_mount(self, mount: MountSpec, rootfs: Path) -> dict[str, Any]:
        """The OCI mount of one of the container's mounts; a volume is filled on first use.

        Raises:
            RuntimeFailure: a -v bind source that cannot be created, or a volume whose
                data directory is gone.
        """
        if mount.type == "tmpfs":
            return {"destination": mount.destination, "type": "tmpfs", "source": "tmpfs",
                    "options": list(mount.tmpfs_options)}  # fmt: skip
        if mount.type == "volume":
            source = Path(self.volume_dir(mount.source))
            if not source.is_dir():
                raise RuntimeFailure(f"the volume {mount.source} has no data directory {source}")
            if not mount.no_copy:
                copy_up(rootfs, mount.destination, source)
        else:
            source = Path(mount.source)
            if mount.create_source:
                try:
                    self.mounter.make_bind_source(source)
                except OSError as err:
                    raise RuntimeFailure(f"cannot create the bind source {source}: {err}") from err
        options = ["rbind", mount.propagation or DEFAULT_PROPAGATION,
                   "ro" if mount.read_only else "rw"]  # fmt: skip
        return {"destination": mount.destination, "type": "bind", "source": str(source),
                "options": options}  # fmt: skip
