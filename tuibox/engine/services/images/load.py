"""docker load: a docker-archive tar (either layout, plain or gzip) becomes images and tags.

The body is streamed into a spool directory (see load_archive), then each image's config
is checked as a pulled one is, each layer not already here is unpacked by the engine's
own extraction with its DiffID verified, its tar-split recorded (what `docker save`
rebuilds the tar from, byte for byte, as for a pulled layer: no layer blob is kept), and
committed by ChainID; a layer already here is not read again. Chains are leased from the
moment they are checked, as a pull leases them; a failure anywhere removes the layers and
the config blobs this load added and nothing else holds, and writes no record or tag. Messages are
dockerd's: "Loading layer" progress (left out when quiet), then "Loaded image: name:tag"
per tag or "Loaded image ID: sha256:..." for an untagged image.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer
from tuibox.engine.services.images.config_checks import validate_image_config
from tuibox.engine.services.images.layer_source import Stores
from tuibox.engine.services.images.load_archive import (
    ManifestEntry,
    SpooledArchive,
    parse_manifest,
    spool_archive,
)
from tuibox.engine.services.images.pull import layer_message
from tuibox.engine.services.images.retention import Retention

log = logging.getLogger(__name__)

Message = dict[str, Any]
Publish = Callable[[str, str, str], None]


@dataclass
class _LoadedImage:
    """One image of the archive, its config checked."""

    entry: ManifestEntry
    config_bytes: bytes
    config: dict[str, Any]
    image_id: str


@dataclass
class _LoadJob:
    """What one load holds and has added, for the records or for the cleanup."""

    held: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)


class ImageLoader:
    """Loads run concurrently up to the records; leases, records and cleanup take the lock."""

    def __init__(
        self, stores: Stores, store_lock: asyncio.Lock, retention: Retention,
        limits: UnpackLimits, publish: Publish,
    ) -> None:  # fmt: skip
        self.stores = stores
        self.content, self.layers, self.images = stores
        self.store_lock = store_lock
        self.retention = retention
        self.limits = limits
        self.publish = publish

    async def load(self, body: AsyncIterator[bytes], quiet: bool) -> AsyncGenerator[Message, None]:
        """Load the archive in `body`, yielding dockerd's load messages.

        Raises:
            InvalidArgument: not an image archive, a truncated one, a bad config or tag,
                a layer that is unsafe or does not match its DiffID (before any message:
                the whole archive is read and checked first).
        """
        spool = await asyncio.to_thread(self.layers.staging_dir)
        job = _LoadJob()
        done = False
        try:
            archive = await _receive(body, spool / "archive")
            loaded = [await self._check_image(archive, e) for e in parse_manifest(archive)]
            progress = [m async for m in self._layers(archive, loaded, job)]
            messages = await self._record(loaded, job)
            done = True
        finally:
            await self._finish(job, done, spool)
        for message in [] if quiet else progress:
            yield message
        for message in messages:
            yield message

    async def _check_image(self, archive: SpooledArchive, entry: ManifestEntry) -> _LoadedImage:
        path = archive.path(entry.config)
        if path.stat().st_size > 8 * 1024 * 1024:
            raise InvalidArgument(f"invalid archive: the image config {entry.config} is too large")
        data = await asyncio.to_thread(path.read_bytes)
        config = archive.read_json(entry.config)
        if not isinstance(config, dict):
            raise InvalidArgument(f"invalid archive: {entry.config} is not a JSON object")
        validate_image_config(config, len(entry.layers))
        return _LoadedImage(entry, data, config, "sha256:" + hashlib.sha256(data).hexdigest())

    async def _layers(
        self, archive: SpooledArchive, loaded: list[_LoadedImage], job: _LoadJob
    ) -> AsyncGenerator[Message, None]:
        for image in loaded:
            diff_ids = [str(d) for d in image.config["rootfs"]["diff_ids"]]
            chains = chain_ids(diff_ids)
            async with self.store_lock:
                job.held += self.retention.lease([image.image_id, *chains])
            for name, diff_id, chain in zip(image.entry.layers, diff_ids, chains, strict=True):
                path = archive.path(name)
                size = path.stat().st_size
                if not self.layers.has(chain) and await asyncio.to_thread(
                    self._unpack, path, diff_id, chain
                ):
                    job.created.append(chain)
                yield layer_message("Loading layer", diff_id.removeprefix("sha256:")[:12],
                                    size, size)  # fmt: skip

    def _unpack(self, path: Path, diff_id: str, chain_id: str) -> bool:
        staging = self.layers.staging_dir()
        try:
            result = unpack_layer(path, staging / "diff", expected_diff_id=diff_id,
                                  limits=self.limits, split_dir=staging)  # fmt: skip
            return self.layers.commit(staging, chain_id, diff_id, result.size)
        except BaseException:
            self.layers.discard(staging)
            raise

    async def _record(self, loaded: list[_LoadedImage], job: _LoadJob) -> list[Message]:
        for image in loaded:
            await asyncio.to_thread(self.content.put, image.config_bytes, image.image_id)
            job.stored.append(image.image_id)
        messages: list[Message] = []
        async with self.store_lock:
            for image in loaded:
                messages += await asyncio.to_thread(self._save_image, image)
        for image in loaded:
            names = [t.familiar for t in image.entry.repo_tags] or [""]
            for name in names:
                self.publish("load", image.image_id, name)
        return messages

    def _save_image(self, image: _LoadedImage) -> list[Message]:
        """The record (unless the image is here already) and its tags, under the lock."""
        chains = chain_ids([str(d) for d in image.config["rootfs"]["diff_ids"]])
        missing = [c for c in chains if not self.layers.has(c)]
        if missing:
            raise RuntimeFailure(f"layer {missing[0]} was removed during the load; load again")
        if not self.images.exists(image.image_id):
            self.images.save(ImageRecord(
                id=image.image_id, config=image.config,
                size=sum(self.layers.info(c).size for c in chains),
                created=timestamps.parse_seconds(str(image.config.get("created") or "")) or 0,
            ))  # fmt: skip
        messages: list[Message] = []
        for tag in image.entry.repo_tags:
            previous = self.images.set_ref(tag, image.image_id)
            if previous is not None and previous != image.image_id:
                messages.append({"stream": f"The image {tag.familiar} already exists, renaming "
                                 f"the old one with ID {previous} to empty string\n"})  # fmt: skip
            messages.append({"stream": f"Loaded image: {tag.familiar}\n"})
        if not image.entry.repo_tags:
            messages.append({"stream": f"Loaded image ID: {image.image_id}\n"})
        return messages

    async def _finish(self, job: _LoadJob, done: bool, spool: Path) -> None:
        """Drop the spool and the leases; after a failure, what this load added and nothing
        else holds."""
        await asyncio.to_thread(self.layers.discard, spool)
        async with self.store_lock:
            self.retention.release(job.held)
            if done or not (job.created or job.stored):
                return
            keep = self.retention.keep()
            try:
                await asyncio.to_thread(self.retention.prune, job.created, job.stored, keep)
            except OSError as err:
                log.error("cleanup after a failed load left files behind: %s", err)


async def _receive(body: AsyncIterator[bytes], root: Path) -> SpooledArchive:
    """Feed the body through a pipe to spool_archive, run by a thread of its own.

    A thread of its own, not `asyncio.to_thread`: the reader blocks on the pipe until the
    loop writes, so it must never wait for a slot in an executor the loop also feeds.
    """
    root.mkdir()
    read_fd, write_fd = os.pipe()
    loop = asyncio.get_running_loop()
    spooled: asyncio.Future[SpooledArchive] = loop.create_future()

    def run() -> None:
        try:
            outcome: SpooledArchive | BaseException = _spool_from_fd(read_fd, root)
        except BaseException as err:
            outcome = err
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(_settle, spooled, outcome)

    threading.Thread(target=run, name="load-spool", daemon=True).start()
    with os.fdopen(write_fd, "wb", buffering=0) as pipe:
        async for chunk in body:
            if spooled.done():
                break  # the reader stopped (an error, or the tar ended): stop feeding
            with contextlib.suppress(BrokenPipeError):
                await asyncio.to_thread(_write_all, pipe, chunk)
    return await spooled  # the write end is closed: the reader meets the end of its stream


def _settle(
    future: asyncio.Future[SpooledArchive], outcome: SpooledArchive | BaseException
) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _spool_from_fd(read_fd: int, root: Path) -> SpooledArchive:
    with os.fdopen(read_fd, "rb") as stream:
        return spool_archive(stream, root)


def _write_all(pipe: Any, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        written = pipe.write(view)
        view = view[written:]

