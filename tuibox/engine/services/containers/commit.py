"""Provides ContainerCommit: `docker commit`, a new image from a container's upper dir.

The new image's config is the request's Config with the `--change` instructions applied,
then completed from the container's config as dockerd's merge does (User, ExposedPorts,
Env, Labels, Cmd/Entrypoint, Healthcheck, WorkingDir, Volumes, StopSignal). Its layers are
the container's plus one made from the upper dir, whiteouts written as OCI `.wh.` entries;
an unchanged container adds no layer, only a history entry marked empty, as dockerd. A
running container is paused for the time of the tar unless `pause=false`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.domain.platform import host_platform
from tuibox.engine.domain.reference import Reference, parse_reference, validate_tag
from tuibox.engine.layers.scope import join
from tuibox.engine.layers.tree_tar import write_layer
from tuibox.engine.runtime.host_security import INIT_PATH_IN_CONTAINER
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.lifecycle import ContainerLifecycle
from tuibox.engine.services.containers.rules.commit_config import check_config, merge_configs
from tuibox.engine.services.images.commit_changes import apply_changes
from tuibox.engine.services.images.committer import NewLayer
from tuibox.engine.services.images.service import ImageService

ETC_MOUNT_POINTS = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")


@dataclass(frozen=True)
class CommitRequest:
    """What `POST /commit` asks for."""

    repo: str = ""
    tag: str = ""
    comment: str = ""
    author: str = ""
    pause: bool = True
    changes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


class ContainerCommit:
    """Makes images of containers."""

    def __init__(
        self, context: ContainerContext, images: ImageService, lifecycle: ContainerLifecycle
    ) -> None:
        self.context = context
        self.images = images
        self.lifecycle = lifecycle

    async def commit(self, given: str, request: CommitRequest) -> str:
        """Make the image and tag it; returns its ID. Everything asked is checked first.

        Raises:
            NotFound: no such container, or a layer of it is gone.
            InvalidArgument: a bad reference, Config field or change.
            Conflict: the container is being removed.
        """
        record = self.context.lookup(given)
        return await self.context.owned(self._commit(record, request))

    async def _commit(self, record: ContainerRecord, request: CommitRequest) -> str:
        if record.state.status is Status.REMOVING or record.id in self.context.marked_for_removal:
            raise Conflict(f"You cannot commit container {record.id} which is being removed")
        target = _target(request.repo, request.tag)
        check_config(request.config)
        config = merge_configs(apply_changes(request.config, request.changes), record.config)
        paused = request.pause and record.state.status is Status.RUNNING
        if paused:
            await self.lifecycle.pause(record.id)
        try:
            layer = await self._layer(record)
        finally:
            if paused:
                await self.lifecycle.unpause(record.id)
        image_id = await self.images.committer.record(
            layer, self._diff_ids(record), self._image_config(record, request, config, layer),
            target,
        )  # fmt: skip
        self.context.publish(record, "commit", comment=request.comment, imageID=image_id,
                             imageRef=target.familiar if target else "")  # fmt: skip
        return image_id

    async def _layer(self, record: ContainerRecord) -> NewLayer:
        """The upper dir as a tar in a staging dir, the runtime's empty mount points left out."""
        committer = self.images.committer
        lowers = self.images.layer_dirs_for_chains(record.layer_chain)
        upper = self.context.paths(record.id).upper
        points = {*ETC_MOUNT_POINTS, INIT_PATH_IN_CONTAINER,
                  *(mount.destination for mount in record.mounts)}  # fmt: skip

        def skip(virtual: list[str], info: os.stat_result) -> bool:
            path = join(virtual)
            if path not in points or any(os.path.lexists(lower / path[1:]) for lower in lowers):
                return False
            return (info.st_mode & 0o170000) == 0o040000 or info.st_size == 0

        staging = await asyncio.to_thread(committer.staging_dir)
        try:
            return await asyncio.to_thread(_write_tar, upper, staging, skip)
        except BaseException:
            await asyncio.to_thread(committer.discard, staging)
            raise

    def _diff_ids(self, record: ContainerRecord) -> list[str]:
        return [self.images.layers.info(chain).diff_id for chain in record.layer_chain]

    def _image_config(
        self, record: ContainerRecord, request: CommitRequest, config: dict[str, Any],
        layer: NewLayer,
    ) -> dict[str, Any]:  # fmt: skip
        """dockerd's NewChildImage: the parent's platform and history, one entry more."""
        parent = self.images.images.get(record.image_id)
        parent_config = parent.config if parent is not None else {}
        platform = host_platform()
        now = timestamps.now()
        created_by = " ".join(record.config.get("Cmd") or [])  # dockerd: the container's Cmd
        entry: dict[str, Any] = {"created": now, "created_by": created_by}
        if request.author:
            entry["author"] = request.author
        if request.comment:
            entry["comment"] = request.comment
        if not layer.entries:
            entry["empty_layer"] = True
        history = parent_config.get("history")
        document: dict[str, Any] = {
            "architecture": parent_config.get("architecture") or platform.architecture,
            "os": parent_config.get("os") or "linux",
            "config": config,
            "container": record.id,
            "container_config": record.config,
            "created": now,
            "history": [*(history if isinstance(history, list) else []), entry],
        }
        if parent_config.get("variant"):
            document["variant"] = parent_config["variant"]
        if request.author:
            document["author"] = request.author
        if request.comment:
            document["comment"] = request.comment
        return document


def _target(repo: str, tag: str) -> Reference | None:
    """dockerd's RepoTagReference: latest by default, never a digest."""
    if not repo:
        if tag:
            raise InvalidArgument("tag given without a repository: pass repo as well")
        return None
    target = parse_reference(repo)
    if target.digest is not None:
        raise InvalidArgument("cannot commit to digest reference")
    return target.with_tag(validate_tag(tag)) if tag else target


class _HashingFile:
    """A file that hashes and counts what is written to it."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.sink.write(data)


def _write_tar(upper: Path, staging: Path, skip: Any) -> NewLayer:
    tar = staging / "layer.tar"
    with tar.open("wb") as sink:
        hashing = _HashingFile(sink)
        entries = write_layer(hashing, upper, skip)
        sink.flush()
        os.fsync(sink.fileno())
    return NewLayer(staging, tar, "sha256:" + hashing.hash.hexdigest(), entries)
