"""Provides ContainerExport: `docker export`, the container's whole filesystem as a tar stream.

The tar is written by a thread from the container's root filesystem (the overlay of its
image and its changes), mounted for the time of the export when the container is not
running. It is docker cp's tar writer (layers/tree_tar.py): the walk goes directory by
directory through fds opened without following, so a running container that swaps a
directory for a symlink meanwhile gets a link entry or a failed export, never the files
the link points to on the host. Symlinks go in as links, hard links as link entries;
owners are numeric only, never the host's names; sockets are left out, as tar cannot
hold them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.layers.tree_tar import write_tree
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.images.service import ImageService

CHUNK = 65536


class ContainerExport:
    """Streams a container's filesystem."""

    def __init__(
        self, context: ContainerContext, images: ImageService, mounter: RootfsMounter
    ) -> None:
        self.context = context
        self.images = images
        self.mounter = mounter

    async def export(self, given: str) -> AsyncIterator[bytes]:
        """The tar, chunk by chunk; a stopped container is mounted until the end (its
        lock held meanwhile, so no start can use that mount).

        Raises:
            NotFound: no such container, or a layer of its image is gone.
        """
        record = self.context.lookup(given)
        paths = self.context.paths(record.id)
        async with contextlib.AsyncExitStack() as stack:
            if not record.state.running:
                await stack.enter_async_context(self.context.lock(record.id))
            if not self.mounter.is_mounted(paths.rootfs):
                lowers = self.images.layer_dirs_for_chains(record.layer_chain)
                await asyncio.to_thread(self.mounter.mount, lowers, paths.upper, paths.work,
                                        paths.rootfs)  # fmt: skip
                stack.push_async_callback(asyncio.to_thread, self.mounter.unmount, paths.rootfs)
            async for chunk in _tar_stream(paths.rootfs):
                yield chunk


async def _tar_stream(root: Path) -> AsyncIterator[bytes]:
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def write() -> None:
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                write_tree(pipe, root)
        except BrokenPipeError:
            pass  # the client stopped reading
        except BaseException as err:
            failure.append(err)

    thread = threading.Thread(target=write, name="export", daemon=True)
    thread.start()
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while chunk := await asyncio.to_thread(pipe.read, CHUNK):
                yield chunk
    finally:
        await asyncio.to_thread(thread.join)
    if failure:
        raise OSError(f"the export failed: {failure[0]}")
