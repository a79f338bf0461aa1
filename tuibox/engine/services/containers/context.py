"""Provides ContainerContext: the records, locks, paths and events every container verb shares."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tuibox.engine.domain.container import ContainerRecord, Status, validate_name
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound
from tuibox.engine.events import Event, EventBus
from tuibox.engine.store.containers import ContainerRecordStore

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ContainerPaths:
    """Where one container's files live, under its directory in the container store."""

    base: Path

    @property
    def upper(self) -> Path:
        """The overlay's writable layer: what the container changed."""
        return self.base / "diff"

    @property
    def work(self) -> Path:
        """overlayfs's work dir, on the same filesystem as `upper`."""
        return self.base / "work"

    @property
    def rootfs(self) -> Path:
        """Where the root filesystem is mounted while the container runs."""
        return self.base / "rootfs"

    @property
    def bundle(self) -> Path:
        """The OCI bundle dir (config.json) handed to the runtime."""
        return self.base / "bundle"

    @property
    def log(self) -> Path:
        """conmon's k8s-file log of the container's output."""
        return self.base / "container.log"

    @property
    def hostname_file(self) -> Path:
        """The container's /etc/hostname, written at each start."""
        return self.base / "hostname"

    @property
    def hosts_file(self) -> Path:
        """The container's /etc/hosts, written at each start."""
        return self.base / "hosts"

    @property
    def resolv_file(self) -> Path:
        """The container's /etc/resolv.conf, written at each start."""
        return self.base / "resolv.conf"

    def dirs(self) -> tuple[Path, ...]:
        """The directories a new container needs."""
        return (self.upper, self.work, self.rootfs, self.bundle)


class ContainerContext:
    """Owns the container records and what verbs share about them.

    One per engine. Every verb group (creation, lifecycle, removal, queries, streams,
    recovery) is handed this object; none keeps records of its own. A verb looks the
    container up, takes its lock, checks the state guard, does its work, saves the record
    and publishes an event.
    """

    def __init__(self, store: ContainerRecordStore, events: EventBus) -> None:
        self.store = store
        self.events = events
        self.records: dict[str, ContainerRecord] = {}
        self.restarting: Counter[str] = Counter()
        """Restarts under way per container: their exit must not trigger auto-remove."""
        self.marked_for_removal: set[str] = set()
        """Containers a removal has claimed: no verb may start them again."""
        self.watchers: dict[str, asyncio.Task[None]] = {}
        self.pending_restarts: dict[str, asyncio.Task[None]] = {}
        """Restarts a restart policy has scheduled, waiting for their delay."""
        self.forget_listeners: list[Callable[[str], None]] = []
        """Told of each container removed (the exec sessions and stdin hubs drop theirs)."""
        self._readers: dict[str, set[asyncio.Event]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._owned: set[asyncio.Task[Any]] = set()

    def lookup(self, given: str) -> ContainerRecord:
        """Find by full ID, then exact name, then unique ID prefix (Docker's order).

        Raises:
            NotFound: nothing matches.
            InvalidArgument: the prefix matches several containers.
        """
        if given in self.records:
            return self.records[given]
        name = given.lstrip("/")
        for record in self.records.values():
            if record.name == name:
                return record
        matches = [r for cid, r in self.records.items() if cid.startswith(given)] if given else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidArgument(f"multiple IDs found with provided prefix: {given}")
        raise NotFound(f"No such container: {given}")

    def ensure_present(self, record: ContainerRecord, given: str) -> None:
        """Raise NotFound when the record was removed while a verb waited for its lock."""
        if self.records.get(record.id) is not record or record.state.status is Status.REMOVING:
            raise NotFound(f"No such container: {given}")

    def ensure_not_marked(self, record: ContainerRecord, given: str) -> None:
        """Raise Conflict when a removal has claimed the container (Docker's words)."""
        if record.id in self.marked_for_removal:
            raise Conflict(f"cannot start container {given}: container is marked for removal")

    def lock(self, container_id: str) -> asyncio.Lock:
        """The container's lock: one state change at a time."""
        return self._locks.setdefault(container_id, asyncio.Lock())

    def paths(self, container_id: str) -> ContainerPaths:
        return ContainerPaths(self.store.container_dir(container_id))

    def save(self, record: ContainerRecord) -> None:
        self.store.save(record)

    def adopt(self, task: asyncio.Task[Any]) -> None:
        """Keep a background task the engine started (a detached exec) until it ends."""
        self._owned.add(task)
        task.add_done_callback(self._forget_task)

    def cancel_restart(self, container_id: str) -> None:
        """Drop a restart a policy has scheduled (a stop, start or removal came first)."""
        task = self.pending_restarts.pop(container_id, None)
        if task is not None:
            task.cancel()

    def forget(self, container_id: str) -> None:
        """Drop the bookkeeping of a removed container."""
        self.cancel_restart(container_id)
        for listener in self.forget_listeners:
            listener(container_id)
        self.records.pop(container_id, None)
        self._locks.pop(container_id, None)
        self._readers.pop(container_id, None)
        self.watchers.pop(container_id, None)

    async def owned(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a verb as a task the engine owns: a disconnecting client cannot cut it short."""
        task = asyncio.get_running_loop().create_task(work)
        self._owned.add(task)
        task.add_done_callback(self._forget_task)
        return await asyncio.shield(task)

    def _forget_task(self, task: asyncio.Task[Any]) -> None:
        self._owned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("a verb whose client went away failed: %s", task.exception())

    def publish(
        self, record: ContainerRecord, action: str, exit_code: int | None = None, **extra: str
    ) -> None:
        """Publish a container event with Docker's attributes (image, name, labels)."""
        attributes = {"image": record.image_ref, "name": record.name, **extra}
        attributes.update({k: str(v) for k, v in (record.config.get("Labels") or {}).items()})
        self.events.publish(Event("container", action, record.id, attributes, exit_code=exit_code))

    @contextlib.asynccontextmanager
    async def reader(self, container_id: str) -> AsyncIterator[None]:
        """Mark an attached stream as reading, so auto-remove waits for it to finish."""
        done = asyncio.Event()
        self._readers.setdefault(container_id, set()).add(done)
        try:
            yield
        finally:
            done.set()
            self._readers.get(container_id, set()).discard(done)

    def readers_done(self, container_id: str) -> list[Coroutine[Any, Any, Any]]:
        """Waits that end when each attached reader of the container has finished."""
        return [done.wait() for done in self._readers.get(container_id, set())]

    def users_of_image(self, image_id: str) -> list[tuple[str, bool]]:
        """(container ID, running) of each container made from the image."""
        return [(r.id, r.state.running) for r in self.records.values() if r.image_id == image_id]

    def claim_name(self, name: str) -> str:
        """A valid, free container name (leading slash dropped).

        Raises:
            InvalidArgument: not a valid name.
            Conflict: another container has it (Docker's words).
        """
        final = validate_name(name)
        for record in self.records.values():
            if record.name == final:
                raise Conflict(
                    f'Conflict. The container name "/{final}" is already in use by '
                    f'container "{record.id}". You have to remove (or rename) that '
                    "container to be able to reuse that name."
                )
        return final

    def users_of_volume(self, name: str) -> list[str]:
        """IDs of the containers that mount the volume, running or not."""
        return [r.id for r in list(self.records.values()) if name in r.volume_names()]

    def layers_in_use(self) -> set[str]:
        """Chain IDs of every container's layers: they stay even if the image goes."""
        return {chain_id for r in list(self.records.values()) for chain_id in r.layer_chain}
