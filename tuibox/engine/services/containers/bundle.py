"""Provides BundleWriter: mounts a container's root filesystem and writes its OCI config.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.domain.mounts import DEFAULT_PROPAGATION, MountSpec
from tuibox.engine.layers.copy_up import copy_up
from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.runtime.host_security import (
    INIT_PATH_IN_CONTAINER,
    bounding_capabilities,
    device_entry,
    hard_limits,
    host_devices,
    init_binary,
)
from tuibox.engine.runtime.oci_spec import (
    RuntimeSpec,
    build_oci_config,
    host_thermal_throttle_paths,
)
from tuibox.engine.runtime.seccomp import custom_seccomp, default_seccomp_for
from tuibox.engine.services.containers.context import ContainerPaths
from tuibox.engine.services.containers.rules.create import console_size
from tuibox.engine.services.containers.rules.etc_files import (
    ETC_FILE_MODE,
    HOSTS_HEADER,
    etc_settings,
    hostname_file,
    hosts_file,
    resolv_file,
    uses_host_gateway,
)
from tuibox.engine.services.containers.rules.limits import oci_resources
from tuibox.engine.services.containers.rules.security import SecuritySettings, security_settings
from tuibox.engine.services.containers.rules.users import (
    read_user_files,
    resolve_groups,
    resolve_user,
)
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.store.atomic import write_bytes_atomic, write_json_atomic


@dataclass(frozen=True)
class RunSettings:
    """What every container's config.json shares: limits, cgroup parent, security profile."""

    nofile_limit: int
    cgroup_parent: str
    masked_paths: tuple[str, ...]
    grantable: tuple[str, ...]
    """The capabilities the engine holds, the most a container can get."""
    hard_limits: dict[str, int]
    """The engine's hard rlimits: no --ulimit may go above them."""
    init_path: str | None
    """The static init --init mounts (Debian's tini-static), None when not installed."""
    host_resolv: Path = Path("/etc/resolv.conf")
    """The host's resolver config, which each container's /etc/resolv.conf starts from."""
    host_hosts: Path = Path("/etc/hosts")
    """The host's hosts file, which a container on the host's network starts from."""

    @classmethod
    def docker_defaults(cls, nofile_limit: int, cgroup_parent: str) -> RunSettings:
        """Docker's defaults on this host: its masks, capabilities, rlimits and init."""
        return cls(
            nofile_limit=nofile_limit,
            cgroup_parent=cgroup_parent,
            masked_paths=host_thermal_throttle_paths(),
            grantable=bounding_capabilities(),
            hard_limits=hard_limits(),
            init_path=init_binary(),
        )

    def security_of(self, host_config: dict[str, Any]) -> SecuritySettings:
        """A container's isolation on this host.

        Raises:
            InvalidArgument: what the host cannot grant, or Docker would refuse, named.
        """
        security = security_settings(host_config, grantable=self.grantable,
                                     hard_limits=self.hard_limits)  # fmt: skip
        if security.init and self.init_path is None:
            raise InvalidArgument(
                "--init needs a static init on the host: install Debian's tini package "
                "(tini-static)"
            )
        return security


@dataclass(frozen=True)
class SharedNetwork:
    """The container whose network a `--network container:<x>` run joins, as it is now."""

    namespace: str
    """/proc/<its pid>/ns/net."""
    paths: ContainerPaths
    hostname: str


class BundleWriter:
    """Prepares what the runtime needs to start a container; blocking, run it in a thread."""

    def __init__(
        self,
        images: ImageService,
        mounter: RootfsMounter,
        settings: RunSettings,
        volume_dir: Callable[[str], str] = str,
        host_gateway: Callable[[], str] = str,
    ) -> None:
        self.images = images
        self.mounter = mounter
        self.settings = settings
        self.volume_dir = volume_dir
        self.host_gateway = host_gateway
        """The address --add-host NAME:host-gateway writes ("": none known)."""

    def prepare(
        self, record: ContainerRecord, paths: ContainerPaths, shared: SharedNetwork | None = None
    ) -> None:
        """Mount the rootfs (unless mounted), resolve the user in it, write config.json.

        Raises:
            NotFound: a layer of the container is missing from the layer store.
            InvalidArgument: the user is not known to the image's /etc/passwd, or an
                --add-host maps to host-gateway and no address for it is known.
            RuntimeFailure: the mount failed.
        """
        if not self.mounter.is_mounted(paths.rootfs):
            lowers = self.images.layer_dirs_for_chains(record.layer_chain)
            self.mounter.mount(lowers, paths.upper, paths.work, paths.rootfs)
        passwd, group = read_user_files(paths.rootfs)
        user = resolve_user(record.config.get("User") or "", passwd, group)
        settings = self.settings
        security = settings.security_of(record.host_config)
        mounts = tuple(self._oci_mount(mount, paths.rootfs) for mount in record.mounts)
        hostname = shared.hostname if shared else record.config.get("Hostname") or record.short_id
        mounts += self._etc_mounts(record, shared.paths if shared else paths, hostname,
                                   security.readonly_rootfs, write=shared is None)  # fmt: skip
        args: tuple[str, ...] = (record.path, *record.args)
        if security.init and settings.init_path is not None:
            mounts += ({"destination": INIT_PATH_IN_CONTAINER, "type": "bind",
                        "source": settings.init_path,
                        "options": ["rbind", "rprivate", "ro"]},)  # fmt: skip
            args = (INIT_PATH_IN_CONTAINER, "--", *args)
        devices = [device_entry(d.path_on_host, d.path_in_container) for d in security.devices]
        rules = [_rule(device["type"], device["major"], device["minor"], request.permissions)
                 for device, request in zip(devices, security.devices, strict=True)]  # fmt: skip
        rules += [_rule(*rule) for rule in security.device_rules]
        if security.privileged:
            devices = host_devices() + devices
        extra_gids = resolve_groups(security.group_add, group)
        spec = RuntimeSpec(
            container_id=record.id,
            rootfs=paths.rootfs,
            args=args,
            env=tuple(record.config["Env"]),
            cwd=record.config.get("WorkingDir") or "/",
            hostname=hostname,
            cgroup_path=record.cgroup_path or f"{settings.cgroup_parent}/{record.id}",
            nofile_limit=settings.nofile_limit,
            uid=user.uid,
            gid=user.gid,
            additional_gids=tuple(dict.fromkeys((*user.additional_gids, *extra_gids))),
            home=user.home,
            extra_masked_paths=settings.masked_paths,
            seccomp=_seccomp(security),
            resources=oci_resources(record.host_config),
            mounts=mounts,
            capabilities=security.capabilities,
            privileged=security.privileged,
            no_new_privileges=security.no_new_privileges,
            masked_paths=security.masked_paths,
            readonly_paths=security.readonly_paths,
            readonly_rootfs=security.readonly_rootfs,
            shm_size=security.shm_size,
            sysctls=security.sysctls,
            rlimits=security.ulimits,
            oom_score_adj=security.oom_score_adj,
            devices=tuple(devices),
            device_rules=tuple(rules),
            cgroup_namespace=security.cgroup_namespace,
            domainname=record.config.get("Domainname") or "",
            terminal=bool(record.config.get("Tty")),
            host_network=record.host_config.get("NetworkMode") == "host",
            network_namespace=shared.namespace if shared else "",
            console_size=console_size(record.host_config),
        )
        config = build_oci_config(spec)
        write_json_atomic(paths.bundle / "config.json", config, durable=False)

    def _etc_mounts(
        self, record: ContainerRecord, paths: ContainerPaths, hostname: str, read_only: bool,
        *, write: bool = True,
    ) -> tuple[dict[str, Any], ...]:  # fmt: skip
        """Write /etc/hostname, /etc/hosts and /etc/resolv.conf (or, sharing another
        container's network, bind its files); bind them unless the user mounts something
        there. On the host's network the files start from the host's own, as Docker's."""
        settings = etc_settings(record.host_config)
        gateway = self.host_gateway() if uses_host_gateway(settings) else ""
        host_resolv = _read(self.settings.host_resolv)
        if record.host_config.get("NetworkMode") == "host":
            added = hosts_file(settings, gateway)[len(HOSTS_HEADER):]
            hosts = _read(self.settings.host_hosts) + added
            overridden = settings.dns or settings.dns_search or settings.dns_options
            resolv = resolv_file(host_resolv, settings) if overridden else host_resolv
        else:
            hosts, resolv = hosts_file(settings, gateway), resolv_file(host_resolv, settings)
        files = (
            (paths.hostname_file, "/etc/hostname", hostname_file(hostname)),
            (paths.hosts_file, "/etc/hosts", hosts),
            (paths.resolv_file, "/etc/resolv.conf", resolv),
        )
        taken = {mount.destination for mount in record.mounts}
        options = ["rbind", "rprivate", "ro" if read_only else "rw"]
        mounts: list[dict[str, Any]] = []
        for path, destination, text in files:
            if write:
                write_bytes_atomic(path, text.encode(), durable=False, mode=ETC_FILE_MODE)
            if destination not in taken:
                mounts.append({"destination": destination, "type": "bind", "source": str(path),
                               "options": list(options)})  # fmt: skip
        return tuple(mounts)

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


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _seccomp(security: SecuritySettings) -> dict[str, Any] | None:
    if security.seccomp == "unconfined":
        return None
    if security.seccomp_profile is not None:
        return custom_seccomp(security.seccomp_profile, security.capabilities)
    return default_seccomp_for(security.capabilities)


def _rule(kind: str, major: int | None, minor: int | None, access: str) -> dict[str, Any]:
    """An OCI device cgroup allow rule; None for a major or minor is any (`*`)."""
    rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
    if major is not None:
        rule["major"] = major
    if minor is not None:
        rule["minor"] = minor
    return rule
