"""Provides ContainerCreation: `docker create`, from a Docker create body and an image."""

from __future__ import annotations

import secrets
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, validate_name
from tuibox.engine.domain.errors import Conflict, NotFound, RuntimeFailure
from tuibox.engine.domain.host import LimitSupport
from tuibox.engine.domain.names import random_name
from tuibox.engine.domain.platform import Platform, parse_platform, require_linux
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.rules.create import (
    ProcessSettings,
    merge_process,
    normalise_host_config,
    validate_create_body,
)
from tuibox.engine.services.containers.rules.fields import canonical_body
from tuibox.engine.services.containers.rules.limits import check_limits, inspect_limits
from tuibox.engine.services.images.service import ImageService

RANDOM_NAME_TRIES = 100


class ContainerCreation:
    """Makes new container records and their directories; nothing runs yet."""

    def __init__(
        self,
        context: ContainerContext,
        images: ImageService,
        cgroup_parent: str,
        limits: LimitSupport,
    ) -> None:
        self.context = context
        self.images = images
        self.cgroup_parent = cgroup_parent
        self.limits = limits

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
        host_config = validate_create_body(body)
        check_limits(host_config, self.limits)
        image_ref: str = body["Image"]
        final_name = self._choose_name(name)
        image = self.images.resolve(image_ref)
        if platform:
            _check_platform(image_ref, image.config, require_linux(parse_platform(platform)))
        image_config = dict(image.config.get("config") or {})
        process = merge_process(body, image_config)
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
            host_config=inspect_limits(normalise_host_config(host_config), self.limits),
            layer_chain=self.images.chain_ids(image.id),
            cgroup_path=f"{self.cgroup_parent}/{container_id}",
        )
        context = self.context
        paths = context.paths(container_id)
        try:
            for directory in paths.dirs():
                directory.mkdir(parents=True)
            paths.log.touch()
            context.save(record)
        except OSError as err:
            context.store.delete(container_id)
            raise RuntimeFailure(f"cannot create container files: {err}") from err
        context.records[container_id] = record
        context.publish(record, "create")
        return {"Id": container_id, "Warnings": []}

    def _choose_name(self, name: str | None) -> str:
        records = self.context.records.values()
        if name:
            final = validate_name(name)
            for record in records:
                if record.name == final:
                    raise Conflict(
                        f'Conflict. The container name "/{final}" is already in use by '
                        f'container "{record.id}". You have to remove (or rename) that '
                        "container to be able to reuse that name."
                    )
            return final
        taken = {r.name for r in records}
        for _ in range(RANDOM_NAME_TRIES):
            candidate = random_name()
            if candidate not in taken:
                return candidate
        return f"{random_name()}_{secrets.token_hex(3)}"


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
        "Domainname": "",
        "User": body.get("User") or image_config.get("User", ""),
        "AttachStdin": bool(body.get("AttachStdin")),
        "AttachStdout": bool(body.get("AttachStdout")),
        "AttachStderr": bool(body.get("AttachStderr")),
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": process.env,
        "Cmd": process.cmd,
        "Image": image_ref,
        "Volumes": body.get("Volumes") or None,
        "WorkingDir": process.working_dir,
        "Entrypoint": process.entrypoint,
        "OnBuild": None,
        "Labels": dict(body.get("Labels") or {}),
        "StopSignal": body.get("StopSignal") or image_config.get("StopSignal"),
        "StopTimeout": body.get("StopTimeout"),
        **({"Healthcheck": body["Healthcheck"]} if body.get("Healthcheck") else {}),
    }


def _check_platform(image_ref: str, config: dict[str, Any], wanted: Platform) -> None:
    """Refuse an image made for another platform than the one asked for (as Docker does)."""
    actual = Platform(
        str(config.get("os") or "linux"),
        parse_platform(str(config.get("architecture") or "amd64")).architecture,
        str(config.get("variant") or ""),
    )
    variant_differs = bool(wanted.variant) and wanted.variant != actual.variant
    if (wanted.os, wanted.architecture) != (actual.os, actual.architecture) or variant_differs:
        raise NotFound(
            f"image with reference {image_ref} was found but does not match the specified "
            f"platform: wanted {wanted}, actual: {actual}"
        )
