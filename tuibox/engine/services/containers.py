"""Container records and the verbs that make and remove them: create, remove, lookup.

Each verb looks the container up, takes its lock, checks the state guard, drives the
runtime, saves the record and publishes an event. Verbs that change a container run as
tasks the service owns, so a client that disconnects cannot leave one half done. Running
a container (start, stop, kill, restart, exits) lives in container_runs.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal as signals
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from tuibox.engine.domain.container import (
    ContainerRecord,
    Status,
    now_rfc3339,
    validate_name,
)
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.names import random_name
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES, host_thermal_throttle_paths
from tuibox.engine.runtime.seccomp import default_seccomp
from tuibox.engine.services.container_config import (
    merge_process,
    normalise_host_config,
    validate_create_body,
)
from tuibox.engine.services.container_runs import KILL_WAIT_SECONDS, ContainerRuns
from tuibox.engine.services.events import Event, EventBus
from tuibox.engine.services.images import ImageService
from tuibox.engine.store.containers import ContainerStore

log = logging.getLogger(__name__)

READER_DRAIN_SECONDS = 5.0
T = TypeVar("T")


class ContainerService(ContainerRuns):
    """Owns every container record and the rules for changing it."""

    def __init__(
        self,
        store: ContainerStore,
        images: ImageService,
        runtime: ConmonRuntime,
        events: EventBus,
        nofile_limit: int,
        cgroup_parent: str = "/tuibox",
    ) -> None:
        self.store = store
        self.images = images
        self.runtime = runtime
        self.events = events
        self.nofile_limit = nofile_limit
        self.cgroup_parent = cgroup_parent
        self.records: dict[str, ContainerRecord] = {}
        self.restarting: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._readers: dict[str, set[asyncio.Event]] = {}
        self._owned: set[asyncio.Task[Any]] = set()
        self.seccomp = default_seccomp(DEFAULT_CAPABILITIES)
        self.masked_paths = host_thermal_throttle_paths()
        images.set_usage_lookup(self.users_of_image)
        images.set_layer_usage_lookup(self.layers_in_use)

    # --- lookup -------------------------------------------------------------------

    def lookup(self, given: str) -> ContainerRecord:
        """Find by full ID, then exact name, then unique ID prefix (moby's order)."""
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

    def users_of_image(self, image_id: str) -> list[tuple[str, bool]]:
        return [(r.id, r.state.running) for r in self.records.values() if r.image_id == image_id]

    def layers_in_use(self) -> set[str]:
        """Chain IDs of every container's layers: they stay even if the image goes."""
        return {chain_id for r in list(self.records.values()) for chain_id in r.layer_chain}

    def lock(self, container_id: str) -> asyncio.Lock:
        return self._locks.setdefault(container_id, asyncio.Lock())

    def paths(self, container_id: str) -> dict[str, Path]:
        base = self.store.container_dir(container_id)
        return {
            "dir": base,
            "upper": base / "diff",
            "work": base / "work",
            "rootfs": base / "rootfs",
            "bundle": base / "bundle",
            "log": base / "container.log",
        }

    async def owned(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a verb as a task the service owns: a disconnecting client cannot cut it short."""
        task = asyncio.get_running_loop().create_task(work)
        self._owned.add(task)
        task.add_done_callback(self._forget_task)
        return await asyncio.shield(task)

    def _forget_task(self, task: asyncio.Task[Any]) -> None:
        self._owned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("a verb whose client went away failed: %s", task.exception())

    # --- create -------------------------------------------------------------------

    async def create(self, body: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Create a container from a Docker create body; roll back everything on failure."""
        host_config = validate_create_body(body)
        image_ref: str = body["Image"]
        final_name = self._choose_name(name)
        image = self.images.resolve(image_ref)
        image_config = dict(image.config.get("config") or {})
        process = merge_process(body, image_config)
        container_id = secrets.token_hex(32)
        record = ContainerRecord(
            id=container_id,
            name=final_name,
            created=now_rfc3339(),
            image_ref=image_ref,
            image_id=image.id,
            path=process.path,
            args=process.args,
            config=_container_config(body, image_ref, image_config, process, container_id),
            host_config=normalise_host_config(host_config),
            layer_chain=self.images.chain_ids(image.id),
        )
        paths = self.paths(container_id)
        try:
            for key in ("upper", "work", "rootfs", "bundle"):
                paths[key].mkdir(parents=True)
            paths["log"].touch()
            self.store.save(record)
        except OSError as err:
            self.store.delete(container_id)
            raise RuntimeFailure(f"cannot create container files: {err}") from err
        self.records[container_id] = record
        self.publish(record, "create")
        return {"Id": container_id, "Warnings": []}

    def _choose_name(self, name: str | None) -> str:
        if name:
            final = validate_name(name)
            for record in self.records.values():
                if record.name == final:
                    raise Conflict(
                        f'Conflict. The container name "/{final}" is already in use by '
                        f'container "{record.id}". You have to remove (or rename) that '
                        "container to be able to reuse that name."
                    )
            return final
        taken = {r.name for r in self.records.values()}
        for _ in range(100):
            candidate = random_name()
            if candidate not in taken:
                return candidate
        return f"{random_name()}_{secrets.token_hex(3)}"

    # --- remove -------------------------------------------------------------------

    async def remove(self, given: str, force: bool) -> None:
        """Remove a container: 409 while running unless forced; then kill it first."""
        record = self.lookup(given)
        await self.owned(self._remove(record, given, force))

    async def _remove(self, record: ContainerRecord, given: str, force: bool) -> None:
        async with self.lock(record.id):
            self.ensure_present(record, given)
            record.state.check_can_remove(given, force)
            was_running = record.state.running
            if was_running:
                self.publish(record, "kill", signal=str(int(signals.SIGKILL)))
                with contextlib.suppress(RuntimeFailure):  # it may be exiting already
                    await self.runtime.kill(record.id, signals.SIGKILL)
        if was_running:
            await self.wait_for_exit(record, KILL_WAIT_SECONDS)
        async with self.lock(record.id):
            if self.records.get(record.id) is not record:
                return  # removed meanwhile (auto-remove): the wish is granted
            if record.state.running:
                raise Conflict(f"container {given} started again while being removed")
            await self.remove_locked(record)

    async def remove_locked(self, record: ContainerRecord) -> None:
        """Mark the record removing, tell waiters, then free its files.

        `docker run --rm` waits for the destroy event; the unmount and file removal that
        follow need not delay it. An engine that dies before the end finishes the job
        when it recovers, since the record on disk says removing.
        """
        record.state.status = Status.REMOVING
        self.store.save(record)
        self.records.pop(record.id, None)
        self.publish(record, "destroy", exit_code=record.state.exit_code)
        await self.release(record)
        await asyncio.to_thread(self.store.delete, record.id)
        self._locks.pop(record.id, None)
        self._readers.pop(record.id, None)
        self._watchers.pop(record.id, None)

    async def auto_remove(self, record: ContainerRecord, *, drain: bool = True) -> None:
        """Remove a `--rm` container once attached readers have its last output."""
        pending = [e.wait() for e in self._readers.get(record.id, set())] if drain else []
        if pending:
            try:
                await asyncio.wait_for(asyncio.gather(*pending), READER_DRAIN_SECONDS)
            except TimeoutError:
                log.info("removing %s while a slow reader still reads", record.short_id)
        with contextlib.suppress(NotFound, Conflict):
            await self._remove(record, record.id, force=True)

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

    def publish(
        self, record: ContainerRecord, action: str, exit_code: int | None = None, **extra: str
    ) -> None:
        attributes = {"image": record.image_ref, "name": record.name, **extra}
        attributes.update({k: str(v) for k, v in (record.config.get("Labels") or {}).items()})
        self.events.publish(Event("container", action, record.id, attributes, exit_code=exit_code))


def _container_config(
    body: dict[str, Any],
    image_ref: str,
    image_config: dict[str, Any],
    process: Any,
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
    }
