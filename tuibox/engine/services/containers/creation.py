"""Provides ContainerCreation: `docker create`, from a Docker create body and an image."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.domain.host import LimitSupport
from tuibox.engine.domain.mounts import MountSpec
from tuibox.engine.domain.names import random_name
from tuibox.engine.domain.network import Attachment
from tuibox.engine.domain.platform import check_image_platform, parse_platform, require_linux
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.networking import ContainerNetworking
from tuibox.engine.services.containers.rules.create import (
    ProcessSettings,
    merge_process,
    normalise_host_config,
    validate_create_body,
)
from tuibox.engine.services.containers.rules.etc_files import etc_settings
from tuibox.engine.services.containers.rules.fields import canonical_body
from tuibox.engine.services.containers.rules.limits import check_limits, inspect_limits
from tuibox.engine.services.containers.rules.mounts import parse_mounts
from tuibox.engine.services.containers.rules.networking import network_plan
from tuibox.engine.services.containers.rules.ports import exposed_ports, port_requests
from tuibox.engine.services.images.service import ImageService
from tuibox.engine.services.volumes.service import VolumeService

RANDOM_NAME_TRIES = 100


def _check_host_network_sysctls(host_config: dict[str, Any]) -> None:
    """A container on the host's network would write the host's own net.* settings."""
    for name in host_config.get("Sysctls") or {}:
        if name.startswith("net."):
            raise InvalidArgument(f"sysctl '{name}' not allowed in host network namespace")


def check_create_body(
    body: dict[str, Any],
    limits: LimitSupport,
    check_security: Callable[[dict[str, Any]], object],
) -> dict[str, Any]:
    """Every refusal a create body can meet before its image is looked at; its HostConfig.

    Fields honoured or not, types and sizes, limits, isolation, the /etc files' flags
    (mounts are checked with the image's VOLUMEs, later).

    Raises:
        InvalidArgument: naming what is refused.
    """
    host_config = validate_create_body(body)
    check_limits(host_config, limits)
    check_security(host_config)
    etc_settings(host_config)
    plan = network_plan(body)
    if plan.mode == "host":
        _check_host_network_sysctls(host_config)
    port_requests(host_config, exposed_ports(body, {}))
    return host_config


class ContainerCreation:
    """Makes new container records and their directories; nothing runs yet."""

    def __init__(
        self,
        context: ContainerContext,
        images: ImageService,
        cgroup_parent: str,
        limits: LimitSupport,
        volumes: VolumeService,
        check_security: Callable[[dict[str, Any]], object] = lambda _host_config: None,
        networking: ContainerNetworking | None = None,
    ) -> None:
        self.context = context
        self.images = images
        self.cgroup_parent = cgroup_parent
        self.limits = limits
        self.volumes = volumes
        self.check_security = check_security
        """Refuses what the host cannot grant (capabilities, ulimits, --init without tini)."""
        self.networking = networking
        """Resolves the networks a container joins; without it only none and host work."""

    async def create(
        self, body: dict[str, Any], name: str | None, platform: str | None = None
    ) -> dict[str, Any]:
        """Create a container; on failure nothing is left behind.

        Args:
            body: Docker's create body (Config with HostConfig and NetworkingConfig).
            name: The container's name; a random one when None.
            platform: The `platform` the image must be for (os[/arch[/variant]]), if any.

        Returns:
            Docker's ContainerCreateResponse: {"Id": ..., "Warnings": []}.

        Raises:
            InvalidArgument: a field of the body is wrong or not supported, named.
            NotFound: no such image (for that platform).
            Conflict: the name is taken.
        """
        body = canonical_body(body)
        host_config = check_create_body(body, self.limits, self.check_security)
        image_ref: str = body["Image"]
        final_name = self._choose_name(name)
        image = self.images.resolve(image_ref)
        if platform:
            check_image_platform(image_ref, image.config,
                                 require_linux(parse_platform(platform)))
        image_config = dict(image.config.get("config") or {})
        host_config, networks = await self._networking(body, host_config)
        process = merge_process(body, image_config)
        mounts = self._with_volumes_from(parse_mounts(body, image_config),
                                         host_config.get("VolumesFrom"))  # fmt: skip
        _check_bind_sources(mounts)
        mounts, made = self._resolve_volumes(mounts)
        container_id = secrets.token_hex(32)
        record = ContainerRecord(
            id=container_id,
            name=final_name,
            created=timestamps.now(),
            image_ref=image_ref,
            image_id=image.id,
            path=process.path,
            args=process.args,
            config=_container_config(body, image_ref, image_config, process, container_id),
            networks=list(networks),
            host_config=inspect_limits(normalise_host_config(host_config), self.limits),
            layer_chain=self.images.chain_ids(image.id),
            cgroup_path=f"{self.cgroup_parent}/{container_id}",
            mounts=mounts,
        )
        if host_config["NetworkMode"] == "host" and not body.get("Hostname"):
            record.config["Hostname"] = socket.gethostname()  # as Docker: the host's name
        context = self.context
        paths = context.paths(container_id)
        try:
            for directory in paths.dirs():
                directory.mkdir(parents=True)
            paths.log.touch()
            context.save(record)
        except OSError as err:
            context.store.delete(container_id)
            for name in made:  # the volumes this create made go with it
                await self.volumes.remove(name, force=True)
            raise RuntimeFailure(f"cannot create container files: {err}") from err
        context.records[container_id] = record
        context.publish(record, "create")
        return {"Id": container_id, "Warnings": []}

    async def _networking(
        self, body: dict[str, Any], host_config: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[Attachment, ...]]:
        """The HostConfig with its NetworkMode resolved, and the networks each run joins.

        Raises:
            NotFound: a network or the container whose namespace is shared is unknown.
            InvalidArgument: the plan cannot be honoured (see rules/networking.py).
        """
        plan = network_plan(body)
        host_config = dict(host_config)
        if plan.mode == "container":
            target = self.context.lookup(plan.container)
            host_config["NetworkMode"] = f"container:{target.id}"
            return host_config, ()
        host_config["NetworkMode"] = plan.network_mode
        if not plan.attachments:
            return host_config, ()
        if self.networking is None:
            raise InvalidArgument(
                f"--network {plan.network_mode}: networking is not available in this engine"
            )
        return host_config, await self.networking.resolve(plan)

    def _with_volumes_from(self, mounts: list[MountSpec], given: Any) -> list[MountSpec]:
        """Add the binds and volumes of `--volumes-from` containers where nothing is mounted."""
        if given is None:
            return mounts
        if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
            raise InvalidArgument("HostConfig.VolumesFrom must be a list of strings")
        taken = {m.destination for m in mounts}
        result = list(mounts)
        for entry in given:
            name, _, mode = entry.partition(":")
            if mode not in ("", "ro", "rw"):
                raise InvalidArgument(f"invalid mode for volumes-from: {mode}")
            source = self.context.lookup(name)
            for mount in source.mounts:
                if mount.type == "tmpfs" or mount.destination in taken:
                    continue
                taken.add(mount.destination)
                read_only = mount.read_only if not mode else mode == "ro"
                result.append(replace(mount, read_only=read_only, create_source=False))
        return result

    def _resolve_volumes(self, mounts: list[MountSpec]) -> tuple[list[MountSpec], list[str]]:
        """Name every volume mount, creating the volumes that do not exist yet."""
        resolved: list[MountSpec] = []
        made: list[str] = []
        for mount in mounts:
            if mount.type == "volume":
                existed = bool(mount.source) and mount.source in self.volumes.records
                volume = self.volumes.ensure(mount.source, anonymous=mount.anonymous,
                                             labels=dict(mount.volume_labels))  # fmt: skip
                if not existed:
                    made.append(volume.name)
                mount = replace(mount, source=volume.name, anonymous=volume.anonymous)
            resolved.append(mount)
        return resolved, made

    def _choose_name(self, name: str | None) -> str:
        records = self.context.records.values()
        if name:
            return self.context.claim_name(name)
        taken = {r.name for r in records}
        for _ in range(RANDOM_NAME_TRIES):
            candidate = random_name()
            if candidate not in taken:
                return candidate
        return f"{random_name()}_{secrets.token_hex(3)}"


def _check_bind_sources(mounts: list[MountSpec]) -> None:
    """`--mount type=bind` needs its source to exist (a -v bind's is created at start)."""
    for mount in mounts:
        if mount.type == "bind" and not mount.create_source and not os.path.exists(mount.source):
            raise InvalidArgument(
                f'invalid mount config for type "bind": bind source path does not exist: '
                f"{mount.source}"
            )


def _container_config(
    body: dict[str, Any],
    image_ref: str,
    image_config: dict[str, Any],
    process: ProcessSettings,
    container_id: str,
) -> dict[str, Any]:
    """The Config section of inspect: what was asked, with the image's defaults applied."""
    return {
        "Hostname": body.get("Hostname") or container_id[:12],
        "Domainname": body.get("Domainname") or "",
        "User": body.get("User") or image_config.get("User", ""),
        "AttachStdin": bool(body.get("AttachStdin")),
        "AttachStdout": bool(body.get("AttachStdout")),
        "AttachStderr": bool(body.get("AttachStderr")),
        "Tty": bool(body.get("Tty")),
        "OpenStdin": bool(body.get("OpenStdin")),
        "StdinOnce": bool(body.get("StdinOnce")),
        "Env": process.env,
        "Cmd": process.cmd,
        "Image": image_ref,
        "Volumes": body.get("Volumes") or None,
        **({"ExposedPorts": exposed} if (exposed := exposed_ports(body, image_config)) else {}),
        "WorkingDir": process.working_dir,
        "Entrypoint": process.entrypoint,
        "OnBuild": None,
        "Labels": dict(body.get("Labels") or {}),
        "StopSignal": body.get("StopSignal") or image_config.get("StopSignal"),
        "StopTimeout": body.get("StopTimeout"),
        **_healthcheck(body.get("Healthcheck"), image_config.get("Healthcheck")),
    }


def _healthcheck(given: Any, image: Any) -> dict[str, Any]:
    """Config.Healthcheck as inspect shows it: the container's fields over the image's."""
    mine = {k: v for k, v in (given if isinstance(given, dict) else {}).items() if v}
    merged = {**(image if isinstance(image, dict) else {}), **mine}
    return {"Healthcheck": merged} if merged else {}
