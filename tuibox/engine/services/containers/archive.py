"""Provides ContainerArchive: `docker cp` both ways (HEAD, GET and PUT /containers/{id}/archive).

Paths are resolved in the container's view (its root filesystem and the mounts the engine
reaches: binds, volumes, its /etc files) without ever leaving it, as dockerd's
FollowSymlinkInScope. A stopped or created container is mounted for the time of the copy,
its lock held meanwhile, as `docker export` does. An upload is spooled to disk, its every
header checked, then extracted by the layer unpacker's rules (no absolute names, no "..",
no device nodes, no hard link out, no path through a symlink); a `.wh.` name is an
ordinary file here, as with dockerd.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuibox.engine.domain.container import ContainerRecord
from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.layers import scope
from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.layers.scope import ContainerView, ViewMount
from tuibox.engine.layers.tree_tar import write_path
from tuibox.engine.layers.unpack import UnpackRules, check_tar, extract_tar
from tuibox.engine.services.containers.context import ContainerContext, ContainerPaths
from tuibox.engine.services.containers.rules.path_stat import go_base, path_stat
from tuibox.engine.services.containers.rules.users import read_user_files, resolve_user
from tuibox.engine.services.containers.tar_pipe import thread_chunks
from tuibox.engine.services.images.service import ImageService

MAX_UPLOAD_BYTES = 16 * 1024**3


@dataclass(frozen=True)
class PathArchive:
    """A GET's answer: the path's stat (for the header) and the tar, chunk by chunk."""

    stat: dict[str, Any]
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class ExtractOptions:
    """PUT's switches: dockerd's noOverwriteDirNonDir and copyUIDGID."""

    no_overwrite_dir_non_dir: bool = False
    copy_uid_gid: bool = False


class ContainerArchive:
    """Copies files out of and into containers, whatever their state."""

    def __init__(
        self, context: ContainerContext, images: ImageService, mounter: RootfsMounter,
        volume_dir: Callable[[str], str] = str,
    ) -> None:  # fmt: skip
        self.context = context
        self.images = images
        self.mounter = mounter
        self.volume_dir = volume_dir

    async def stat(self, given: str, path: str) -> dict[str, Any]:
        """HEAD: the ContainerPathStat of `path` (its last component not followed).

        Raises:
            NotFound: no such container, or "Could not find the file ... in container ...".
        """
        record = self.context.lookup(given)
        async with self._mounted(record, given, for_write=False) as view:
            _parts, found = await asyncio.to_thread(_stat_path, view, path, given)
        return found

    @contextlib.asynccontextmanager
    async def archive(self, given: str, path: str) -> AsyncIterator[PathArchive]:
        """GET: the path as a tar, its entries named after the path's base name (a trailing
        "/." names them "./", the root's "/"); the container stays mounted until the end.

        Raises:
            NotFound: no such container or path, before anything is streamed.
        """
        record = self.context.lookup(given)
        async with self._mounted(record, given, for_write=False) as view:
            parts, found = await asyncio.to_thread(_stat_path, view, path, given)
            abs_path = scope.clean_path(path)
            arcname = "/" if not parts else go_base(abs_path)
            self.context.publish(record, "archive-path")
            yield PathArchive(found, thread_chunks(
                lambda out: write_path(out, view, parts, arcname), "docker-cp"))  # fmt: skip

    async def extract(
        self, given: str, path: str, body: AsyncIterator[bytes], options: ExtractOptions
    ) -> None:
        """PUT: extract the tar `body` into the directory `path` (every symlink followed).

        Raises:
            NotFound: no such container or path.
            InvalidArgument: not a directory, a read-only rootfs or mount, an entry that
                would land on one of the container's mounts, or an unsafe archive (then
                nothing is written when the headers alone show it).
        """
        record = self.context.lookup(given)
        async with self._mounted(record, given, for_write=True) as view:
            paths = self.context.paths(record.id)
            parts = await asyncio.to_thread(_extraction_point, view, record, path, given)
            owner = await asyncio.to_thread(_owner, record, paths) if options.copy_uid_gid else None
            rules = UnpackRules(whiteouts=False, replace_dirs=not options.no_overwrite_dir_non_dir,
                                owner=owner)  # fmt: skip
            fd, name = tempfile.mkstemp(prefix="cp-", suffix=".tar", dir=paths.base)
            spool = Path(name)
            try:
                await _spool(body, fd)
                await asyncio.to_thread(self._extract, view, parts, spool, rules)
            finally:
                spool.unlink(missing_ok=True)
        self.context.publish(record, "extract-to-dir")

    def _extract(
        self, view: ContainerView, parts: list[str], spool: Path, rules: UnpackRules
    ) -> None:
        limits = self.images.limits
        home = view.mount_of(parts)

        def stays_on_point(entry: list[str]) -> None:
            target = [*parts, *entry]
            mount = view.mount_of(target)
            if mount is not home and mount is not None:
                raise InvalidArgument(
                    f"cannot extract {'/'.join(entry)}: {scope.join(target)} is on the container's "
                    f"{mount.kind} mount at {mount.destination}; copy into {mount.destination} "
                    "itself"
                )

        check_tar(spool, limits=limits, rules=rules, visit=stays_on_point)
        root, below, _mount = view.backing(parts)
        point_fd = scope.open_dir(root, below)
        try:
            extract_tar(spool, point_fd, limits=limits, rules=rules)
        except InvalidArgument as err:
            raise InvalidArgument(f"the archive cannot be extracted into {scope.join(parts)}: "
                                  f"{err}") from None  # fmt: skip
        finally:
            os.close(point_fd)

    @contextlib.asynccontextmanager
    async def _mounted(
        self, record: ContainerRecord, given: str, *, for_write: bool
    ) -> AsyncIterator[ContainerView]:
        """The container's view; its rootfs mounted (and its lock held) while it is used,
        unless it is mounted already because it runs."""
        lock = self.context.lock(record.id)
        paths = self.context.paths(record.id)
        await lock.acquire()
        held = True
        try:
            self.context.ensure_present(record, given)
            if self.mounter.is_mounted(paths.rootfs):
                lock.release()
                held = False
                yield self._view(record, paths, for_write=for_write)
                return
            lowers = self.images.layer_dirs_for_chains(record.layer_chain)
            await asyncio.to_thread(self.mounter.mount, lowers, paths.upper, paths.work,
                                    paths.rootfs)  # fmt: skip
            try:
                yield self._view(record, paths, for_write=for_write)
            finally:
                await asyncio.to_thread(self.mounter.unmount, paths.rootfs)
        finally:
            if held:
                lock.release()

    def _view(self, record: ContainerRecord, paths: ContainerPaths, *,
              for_write: bool) -> ContainerView:  # fmt: skip
        """Binds and volumes at their destinations; a tmpfs only for writes, to refuse them
        (reads see the directory beneath, as with dockerd)."""
        mounts: list[ViewMount] = []
        for mount in record.mounts:
            if mount.type == "tmpfs":
                if for_write:
                    mounts.append(ViewMount(mount.destination, None, False, "tmpfs"))
                continue
            source = Path(self.volume_dir(mount.source)) if mount.type == "volume" else Path(
                mount.source)  # fmt: skip
            mounts.append(ViewMount(mount.destination, source, mount.read_only, mount.type))
        taken = {mount.destination for mount in record.mounts}
        read_only = bool(record.host_config.get("ReadonlyRootfs"))
        for file, destination in ((paths.hostname_file, "/etc/hostname"),
                                  (paths.hosts_file, "/etc/hosts"),
                                  (paths.resolv_file, "/etc/resolv.conf")):  # fmt: skip
            if destination not in taken and file.is_file():
                mounts.append(ViewMount(destination, file, read_only, "engine-written file"))
        return ContainerView(paths.rootfs, tuple(mounts))


def _stat_path(view: ContainerView, path: str, given: str) -> tuple[list[str], dict[str, Any]]:
    """dockerd's ResolvePath and StatPath: the resolved components and the stat JSON."""
    abs_path = _checked(path)
    parts = scope.resolve_parent(view, abs_path)
    info = scope.lstat(view, parts) if parts else os.stat(view.rootfs)
    if info is None:
        raise NotFound(f"Could not find the file {path} in container {given}")
    link_target = ""
    if (info.st_mode & 0o170000) == 0o120000:
        link_target = scope.join(scope.resolve(view, abs_path))
    return parts, path_stat(abs_path, info, link_target)


def _extraction_point(
    view: ContainerView, record: ContainerRecord, path: str, given: str
) -> list[str]:
    """The directory a PUT extracts into, every symlink followed, with dockerd's checks."""
    parts = scope.resolve(view, _checked(path))
    info = scope.lstat(view, parts) if parts else os.stat(view.rootfs)
    if info is None:
        raise NotFound(f"Could not find the file {path} in container {given}")
    if (info.st_mode & 0o170000) != 0o040000:
        raise InvalidArgument("extraction point is not a directory")
    mount = view.mount_of(parts)
    if mount is not None:
        view.backing(parts)  # a tmpfs is refused by name
        if mount.read_only:
            raise InvalidArgument("mounted volume is marked read-only")
    elif record.host_config.get("ReadonlyRootfs"):
        raise InvalidArgument("container rootfs is marked read-only")
    return parts


def _checked(path: str) -> str:
    if "\x00" in path:
        raise InvalidArgument("path must not contain a NUL byte")
    if len(path) > 4096:
        raise InvalidArgument("path is longer than 4096 bytes")
    return scope.clean_path(path)


def _owner(record: ContainerRecord, paths: ContainerPaths) -> tuple[int, int] | None:
    """copyUIDGID: the container's user, resolved in its files; None (keep the tar's) for
    root by default, as dockerd."""
    spec = record.config.get("User") or ""
    if not spec:
        return None
    passwd, group = read_user_files(paths.rootfs)
    user = resolve_user(spec, passwd, group)
    return user.uid, user.gid


async def _spool(body: AsyncIterator[bytes], fd: int) -> None:
    received = 0
    with open(fd, "wb") as sink:
        async for chunk in body:
            received += len(chunk)
            if received > MAX_UPLOAD_BYTES:
                raise InvalidArgument(f"the archive is larger than {MAX_UPLOAD_BYTES} bytes")
            await asyncio.to_thread(sink.write, chunk)
    if received == 0:
        raise InvalidArgument("the request body is empty; send a tar archive")
