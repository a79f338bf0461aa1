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
from collections.abc import AsyncIterator

from tuibox.engine.layers.mounts import RootfsMounter
from tuibox.engine.layers.tree_tar import write_tree
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.tar_pipe import all_but_the_end, thread_chunks
from tuibox.engine.services.images.service import ImageService


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
        end = bytearray()
        async with contextlib.AsyncExitStack() as stack:
            if not record.state.running:
                await stack.enter_async_context(self.context.lock(record.id))
            if not self.mounter.is_mounted(paths.rootfs):
                lowers = self.images.layer_dirs_for_chains(record.layer_chain)
                await asyncio.to_thread(self.mounter.mount, lowers, paths.upper, paths.work,
                                        paths.rootfs)  # fmt: skip
                stack.push_async_callback(asyncio.to_thread, self.mounter.unmount, paths.rootfs)
            tar = thread_chunks(lambda pipe: write_tree(pipe, paths.rootfs), "export")
            async for chunk in all_but_the_end(tar, end):
                yield chunk
        yield bytes(end)  # the tar's end, once the container is unmounted again
