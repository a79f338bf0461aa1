"""Running containers: start, stop, kill, restart, and recording how each run ended.

One watcher task per running container waits on conmon and records the exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal as signals
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tuibox.engine.domain.container import ZERO_TIME, ContainerRecord, Status, now_rfc3339
from tuibox.engine.domain.errors import Conflict, EngineError, RuntimeFailure
from tuibox.engine.layers import overlay
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.runtime.oci_spec import RuntimeSpec, build_oci_config
from tuibox.engine.services.container_config import (
    describe_start_failure,
    parse_signal,
    start_failure_exit_code,
)
from tuibox.engine.services.container_user import read_user_files, resolve_user
from tuibox.engine.services.events import EventBus, container_event
from tuibox.engine.store.atomic import write_json_atomic
from tuibox.engine.store.containers import ContainerStore

if TYPE_CHECKING:
    from tuibox.engine.services.images import ImageService

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10
KILL_WAIT_SECONDS = 10.0
T = TypeVar("T")


class ContainerRuns(ABC):
    """The run half of ContainerService; it shares the service's records and locks."""

    store: ContainerStore
    images: ImageService
    runtime: ConmonRuntime
    events: EventBus
    nofile_limit: int
    cgroup_parent: str
    records: dict[str, ContainerRecord]
    restarting: set[str]
    seccomp: dict[str, Any]
    masked_paths: tuple[str, ...]
    _watchers: dict[str, asyncio.Task[None]]

    # Provided by ContainerService.
    @abstractmethod
    def lookup(self, given: str) -> ContainerRecord: ...
    @abstractmethod
    def ensure_present(self, record: ContainerRecord, given: str) -> None: ...
    @abstractmethod
    def lock(self, container_id: str) -> asyncio.Lock: ...
    @abstractmethod
    def paths(self, container_id: str) -> dict[str, Path]: ...
    @abstractmethod
    async def owned(self, work: Coroutine[Any, Any, T]) -> T: ...
    @abstractmethod
    async def auto_remove(self, record: ContainerRecord, *, drain: bool = True) -> None: ...
    @abstractmethod
    async def remove_locked(self, record: ContainerRecord) -> None: ...
    @abstractmethod
    def publish(
        self, record: ContainerRecord, action: str, exit_code: int | None = None, **extra: str
    ) -> None: ...

    # --- start --------------------------------------------------------------------

    async def start(self, given: str) -> None:
        """Mount the rootfs, write the bundle, run conmon + crun, and watch for the exit."""
        record = self.lookup(given)
        await self.owned(self._start(record, given))

    async def _start(self, record: ContainerRecord, given: str) -> None:
        async with self.lock(record.id):
            self.ensure_present(record, given)
            record.state.check_can_start()
            try:
                await self._start_locked(record)
            except EngineError as err:
                failure: EngineError | None = err
            else:
                failure = None
        if failure is None:
            return
        if record.auto_remove and record.id not in self.restarting:
            await self.auto_remove(record, drain=False)  # `docker run --rm` waits for it
        raise failure

    async def _start_locked(self, record: ContainerRecord) -> None:
        paths = self.paths(record.id)
        try:
            await asyncio.to_thread(self._prepare_bundle, record, paths)
            pid = await self.runtime.create(record.id, paths["bundle"], paths["log"])
            await self.runtime.start(record.id)
        except Exception as err:
            await self.release(record)
            message = describe_start_failure(str(err))
            record.state.error = message
            record.state.exit_code = start_failure_exit_code(message)
            self.store.save(record)
            if isinstance(err, EngineError):
                raise type(err)(message) from err
            raise RuntimeFailure(f"cannot start container {record.short_id}: {err}") from err
        state = record.state
        state.status, state.pid, state.error = Status.RUNNING, pid, ""
        state.exit_code, state.started_at, state.finished_at = 0, now_rfc3339(), ZERO_TIME
        self.store.save(record)
        self.watch(record.id)
        self.publish(record, "start")

    def _prepare_bundle(self, record: ContainerRecord, paths: dict[str, Path]) -> None:
        if not overlay.is_mounted(paths["rootfs"]):
            lowers = self.images.layer_dirs_for_chains(record.layer_chain)
            overlay.mount_overlay(lowers, paths["upper"], paths["work"], paths["rootfs"])
        user = resolve_user(record.config.get("User") or "", *read_user_files(paths["rootfs"]))
        spec = RuntimeSpec(
            container_id=record.id,
            rootfs=paths["rootfs"],
            args=(record.path, *record.args),
            env=tuple(record.config["Env"]),
            cwd=record.config.get("WorkingDir") or "/",
            hostname=record.config.get("Hostname") or record.short_id,
            cgroup_path=f"{self.cgroup_parent}/{record.id}",
            nofile_limit=self.nofile_limit,
            uid=user.uid,
            gid=user.gid,
            additional_gids=user.additional_gids,
            extra_masked_paths=self.masked_paths,
            seccomp=self.seccomp,
        )
        write_json_atomic(paths["bundle"] / "config.json", build_oci_config(spec), durable=False)

    # --- exits --------------------------------------------------------------------

    def watch(self, container_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._watch_exit(container_id))
        self._watchers[container_id] = task

    async def _watch_exit(self, container_id: str) -> None:
        try:
            exit_code = await self.runtime.wait_exit(container_id)
        except RuntimeFailure as err:
            log.error("lost track of container %s: %s", container_id[:12], err)
            exit_code = 255
        await self.record_exit(container_id, exit_code)

    async def record_exit(
        self, container_id: str, exit_code: int, finished_at: str | None = None
    ) -> None:
        """Record how a run ended, publish die, free the run, and auto-remove if asked."""
        self._watchers.pop(container_id, None)
        record = self.records.get(container_id)
        if record is None:
            return
        removing = record.auto_remove and container_id not in self.restarting
        async with self.lock(container_id):
            if record.state.status is not Status.RUNNING:
                return
            state = record.state
            state.status, state.pid, state.exit_code = Status.EXITED, 0, exit_code
            state.finished_at = finished_at or now_rfc3339()
            self.store.save(record)
            self.publish(record, "die", exitCode=str(exit_code), exit_code=exit_code)
            if not removing:  # a removal releases it right after the destroy event
                await self.release(record)
        if removing:
            await self.auto_remove(record)

    async def release(self, record: ContainerRecord) -> None:
        """Free what a run holds (crun state and cgroup, the rootfs mount); idempotent."""
        rootfs = self.paths(record.id)["rootfs"]
        results = await asyncio.gather(
            self.runtime.delete(record.id, force=True),
            asyncio.to_thread(overlay.unmount, rootfs),
            return_exceptions=True,
        )
        for failure in (r for r in results if isinstance(r, BaseException)):
            log.warning("cleaning up container %s: %s", record.short_id, failure)
        self.runtime.cleanup(record.id)

    async def wait_for_exit(self, record: ContainerRecord, timeout: float | None) -> bool:
        """Wait until the current run is recorded as ended; False on timeout."""
        queue = self.events.subscribe(container_event(record.id, {"die", "destroy"}))
        try:
            if not record.state.running:
                return True
            await asyncio.wait_for(queue.get(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.events.unsubscribe(queue)

    # --- stop, kill, restart --------------------------------------------------------

    async def stop(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        """The stop signal, up to `timeout` seconds, then SIGKILL; 304 if not running."""
        record = self.lookup(given)
        await self.owned(self._stop(record, given, timeout, signal_name))

    async def _stop(
        self, record: ContainerRecord, given: str, timeout: int | None, sig: str | None
    ) -> None:
        default_signal = parse_signal(record.config.get("StopSignal"), signals.SIGTERM)
        stop_signal = parse_signal(sig, default_signal)
        if timeout is None:
            configured = record.config.get("StopTimeout")
            timeout = configured if isinstance(configured, int) else DEFAULT_STOP_TIMEOUT
        async with self.lock(record.id):
            self.ensure_present(record, given)
            record.state.check_can_stop()
            await self._signal(record, stop_signal)
        if not await self.wait_for_exit(record, None if timeout < 0 else float(timeout)):
            await self._signal(record, signals.SIGKILL)
            await self.wait_for_exit(record, KILL_WAIT_SECONDS)
        self.publish(record, "stop")

    async def _signal(self, record: ContainerRecord, number: int) -> None:
        self.publish(record, "kill", signal=str(number))
        with contextlib.suppress(RuntimeFailure):  # an exit may beat the signal
            await self.runtime.kill(record.id, number)

    async def kill(self, given: str, signal_name: str | None) -> None:
        """Send a signal; for SIGKILL, return only once the exit is recorded (docker-py)."""
        record = self.lookup(given)
        number = parse_signal(signal_name, signals.SIGKILL)
        await self.owned(self._kill(record, given, number))

    async def _kill(self, record: ContainerRecord, given: str, number: int) -> None:
        async with self.lock(record.id):
            self.ensure_present(record, given)
            record.state.check_can_kill(given, record.id)
            try:
                await self.runtime.kill(record.id, number)
            except RuntimeFailure:
                failed = True
            else:
                failed = False
                self.publish(record, "kill", signal=str(number))
        if failed:  # crun no longer has a live process: it is exiting right now
            await self.wait_for_exit(record, KILL_WAIT_SECONDS)
            raise Conflict(f"cannot kill container: {given}: container {record.id} is not running")
        if number == signals.SIGKILL:
            await self.wait_for_exit(record, KILL_WAIT_SECONDS)

    async def restart(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        """Stop if running, then start again; a `--rm` container is not removed meanwhile."""
        record = self.lookup(given)
        await self.owned(self._restart(record, given, timeout, signal_name))

    async def _restart(
        self, record: ContainerRecord, given: str, timeout: int | None, sig: str | None
    ) -> None:
        self.restarting.add(record.id)
        try:
            if record.state.running:
                await self._stop(record, given, timeout, sig)
            async with self.lock(record.id):
                self.ensure_present(record, given)
                if not record.state.running:
                    await self._start_locked(record)
        finally:
            self.restarting.discard(record.id)
        self.publish(record, "restart")

    # --- recovery -----------------------------------------------------------------

    async def recover(self) -> None:
        """Reload records after an engine restart and reconcile them with conmon and crun."""
        for loaded in self.store.load_all():
            self.records[loaded.id] = loaded
        for record in list(self.records.values()):
            await self._recover_one(record)

    async def _recover_one(self, record: ContainerRecord) -> None:
        conmon_alive = self.runtime.conmon_alive(record.id)
        if record.state.status is Status.REMOVING:
            async with self.lock(record.id):
                await self.remove_locked(record)
        elif record.state.status is Status.RUNNING and conmon_alive:
            self.watch(record.id)
        elif record.state.status is Status.RUNNING:
            code = self.runtime.exit_code(record.id)
            finished = self.runtime.exit_time(record.id)
            await self.record_exit(
                record.id, 255 if code is None else code, _rfc3339(finished) if finished else None
            )
        elif conmon_alive:
            await self._finish_interrupted_start(record)
        else:
            if self.runtime.has_state(record.id) or overlay.is_mounted(
                self.paths(record.id)["rootfs"]
            ):
                await self.release(record)
            if record.auto_remove:
                await self.auto_remove(record)

    async def _finish_interrupted_start(self, record: ContainerRecord) -> None:
        """An engine that died between `crun start` and saving the record left a live run:
        adopt it if it runs, otherwise free what the half-done start holds."""
        runtime_state = await self.runtime.state(record.id)
        if runtime_state is not None and runtime_state.status == "running":
            state = record.state
            state.status, state.pid = Status.RUNNING, runtime_state.pid
            state.started_at = now_rfc3339()
            self.store.save(record)
            self.watch(record.id)
            return
        with contextlib.suppress(RuntimeFailure):
            await self.runtime.kill(record.id, signals.SIGKILL)
        await self.release(record)


def _rfc3339(unix_seconds: float) -> str:
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond * 1000:09d}Z"
