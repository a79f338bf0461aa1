"""Provides ContainerLifecycle: start, stop, kill and restart, each under the container's lock."""

from __future__ import annotations

import asyncio
import signal as signals
from pathlib import Path

from tuibox import timestamps
from tuibox.engine.domain.container import ContainerRecord, Status
from tuibox.engine.domain.errors import Conflict, EngineError, InvalidArgument, RuntimeFailure
from tuibox.engine.runtime.protocol import Runtime
from tuibox.engine.services.containers.bundle import BundleWriter, SharedNetwork
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.exits import ExitRecorder
from tuibox.engine.services.containers.networking import ContainerNetworking
from tuibox.engine.services.containers.removal import ContainerRemoval
from tuibox.engine.services.containers.rules.start import classify_start_failure, parse_signal
from tuibox.engine.services.containers.runs import KILL_WAIT_SECONDS, Runs
from tuibox.engine.services.containers.stdin import StdinHubs, stdio_of

DEFAULT_STOP_TIMEOUT = 10
MAX_STOP_WAIT = 10**9
"""A stop timeout longer than this (about 31 years) waits for the exit however long."""
MAX_PATH = 4095


class ContainerLifecycle:
    """Runs containers: the verbs that start a run, signal it or end it."""

    def __init__(
        self,
        context: ContainerContext,
        runtime: Runtime,
        runs: Runs,
        exits: ExitRecorder,
        removal: ContainerRemoval,
        bundles: BundleWriter,
        hubs: StdinHubs,
        networking: ContainerNetworking | None = None,
    ) -> None:
        self.context = context
        self.runtime = runtime
        self.runs = runs
        self.exits = exits
        self.removal = removal
        self.bundles = bundles
        self.hubs = hubs
        self.networking = networking

    # --- start --------------------------------------------------------------------

    async def start(self, given: str) -> None:
        """Mount the rootfs, write the bundle, run it, and watch for the exit.

        Raises:
            NotFound: no such container.
            NotModified: it runs already.
            Conflict: it is paused or being removed.
            RuntimeFailure: the runtime refused; its words are in the message.
        """
        record = self.context.lookup(given)
        await self.context.owned(self._start(record, given))

    async def _start(self, record: ContainerRecord, given: str) -> None:
        context = self.context
        async with context.lock(record.id):
            context.ensure_present(record, given)
            record.state.check_can_start()
            context.ensure_not_marked(record, given)
            context.cancel_restart(record.id)
            record.manually_stopped = False
            record.restart_count = 0  # a start by the user begins the policy's count anew
            try:
                await self.start_locked(record)
            except EngineError as err:
                failure: EngineError | None = err
            else:
                failure = None
        if failure is None:
            return
        if record.auto_remove and record.id not in context.restarting:
            await self.removal.auto_remove(record, drain=False)  # `docker run --rm` waits
        raise failure

    async def start_locked(self, record: ContainerRecord) -> None:
        """Start a run (the container's lock held); a failure frees what it took."""
        paths = self.context.paths(record.id)
        try:
            shared = self._shared_network(record)
            await asyncio.to_thread(self.bundles.prepare, record, paths, shared)
            pid = await self.runtime.create(record.id, paths.bundle, paths.log, stdio_of(record))
            await self.hubs.connect(record, paths.bundle)  # before start: no input is lost
            if self.networking is not None:
                await self.networking.start_run(record, pid, paths)
            await self.runtime.start(record.id)
        except Exception as err:
            is_dir = await asyncio.to_thread(_names_dir, paths.rootfs, record.path)
            await self.runs.release(record)
            failure = classify_start_failure(record.path, str(err), is_dir=is_dir)
            record.state.error = failure.message
            record.state.exit_code = failure.exit_code
            self.context.save(record)
            if failure.bad_command:
                raise InvalidArgument(failure.message) from err
            if isinstance(err, EngineError):
                raise type(err)(failure.message) from err
            raise RuntimeFailure(f"cannot start container {record.short_id}: {err}") from err
        state = record.state
        state.status, state.pid, state.error = Status.RUNNING, pid, ""
        state.exit_code, state.started_at = 0, timestamps.now()
        state.oom_killed = False  # FinishedAt keeps the last run's end, as dockerd's does
        self.context.save(record)
        self.exits.watch(record.id)
        self.context.publish(record, "start")

    def _shared_network(self, record: ContainerRecord) -> SharedNetwork | None:
        """For `--network container:<x>`: x's namespace, files and name; x must run.

        Raises:
            NotFound: x was removed.
            Conflict: x is not running, or is the container itself (Docker's words).
        """
        mode = record.host_config.get("NetworkMode") or ""
        if not mode.startswith("container:"):
            return None
        target = self.context.lookup(mode.partition(":")[2])
        if target.id == record.id:
            raise Conflict("cannot join own network namespace")
        if not target.state.running or not target.state.pid:
            raise Conflict("cannot join network namespace of a non running container: "
                           f"container {target.id} is {target.state.status.value}")  # fmt: skip
        return SharedNetwork(f"/proc/{target.state.pid}/ns/net", self.context.paths(target.id),
                             target.config.get("Hostname") or target.short_id)  # fmt: skip

    # --- stop, kill, restart --------------------------------------------------------

    async def stop(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        """The stop signal, up to `timeout` seconds, then SIGKILL; 304 if not running.

        The restart policy then leaves it stopped (`unless-stopped` across engine restarts
        too); a restart waiting for its delay is cancelled.
        """
        record = self.context.lookup(given)
        await self.context.owned(self._stop_by_user(record, given, timeout, signal_name))

    async def _stop_by_user(
        self, record: ContainerRecord, given: str, timeout: int | None, sig: str | None
    ) -> None:
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            self.context.cancel_restart(record.id)
            if record.state.status is Status.RESTARTING:
                record.state.status = Status.EXITED
                record.manually_stopped = True
                self.context.save(record)
                self.context.publish(record, "stop")
                return
            if record.state.running:
                record.manually_stopped = True
                self.context.save(record)
        await self._stop(record, given, timeout, sig)

    async def _stop(
        self, record: ContainerRecord, given: str, timeout: int | None, sig: str | None
    ) -> None:
        default_signal = parse_signal(record.config.get("StopSignal"), signals.SIGTERM)
        stop_signal = parse_signal(sig, default_signal)
        if timeout is None:
            configured = record.config.get("StopTimeout")
            timeout = configured if isinstance(configured, int) else DEFAULT_STOP_TIMEOUT
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            record.state.check_can_stop()
            await self.runs.signal(record, stop_signal)
        wait = None if timeout < 0 or timeout > MAX_STOP_WAIT else float(timeout)
        if not await self.runs.wait_for_exit(record, wait):
            await self.runs.signal(record, signals.SIGKILL)
            await self.runs.wait_for_exit(record, KILL_WAIT_SECONDS)
        self.context.publish(record, "stop")

    async def kill(self, given: str, signal_name: str | None) -> None:
        """Send a signal; for SIGKILL, return only once the exit is recorded (docker-py)."""
        record = self.context.lookup(given)
        number = parse_signal(signal_name, signals.SIGKILL)
        await self.context.owned(self._kill(record, given, number))

    async def _kill(self, record: ContainerRecord, given: str, number: int) -> None:
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            record.state.check_can_kill(given, record.id)
            try:
                await self.runtime.kill(record.id, number)
            except RuntimeFailure:
                failed = True
            else:
                failed = False
                self.context.publish(record, "kill", signal=str(number))
                await self.runs.thaw(record)
        if failed:  # the runtime has no live process: it is exiting right now
            await self.runs.wait_for_exit(record, KILL_WAIT_SECONDS)
            raise Conflict(f"cannot kill container: {given}: container {record.id} is not running")
        if number == signals.SIGKILL:
            await self.runs.wait_for_exit(record, KILL_WAIT_SECONDS)

    # --- pause ----------------------------------------------------------------------

    async def pause(self, given: str) -> None:
        """Freeze every process of the container (the freezer cgroup, through crun).

        Raises:
            NotFound: no such container.
            Conflict: it is not running, or paused already.
        """
        record = self.context.lookup(given)
        await self.context.owned(self._set_paused(record, given, paused=True))

    async def unpause(self, given: str) -> None:
        """Thaw a paused container.

        Raises:
            NotFound: no such container.
            Conflict: it is not paused.
        """
        record = self.context.lookup(given)
        await self.context.owned(self._set_paused(record, given, paused=False))

    async def _set_paused(self, record: ContainerRecord, given: str, *, paused: bool) -> None:
        async with self.context.lock(record.id):
            self.context.ensure_present(record, given)
            if paused:
                record.state.check_can_pause(given)
            else:
                record.state.check_can_unpause(given)
            try:
                await (self.runtime.pause if paused else self.runtime.resume)(record.id)
            except RuntimeFailure as err:
                verb = "pause" if paused else "unpause"
                raise Conflict(f"Cannot {verb} container {given}: {err}") from err
            record.state.status = Status.PAUSED if paused else Status.RUNNING
            self.context.save(record)
            self.context.publish(record, "pause" if paused else "unpause")

    async def restart(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        """Stop if running, then start again; a `--rm` container is not removed meanwhile."""
        record = self.context.lookup(given)
        await self.context.owned(self._restart(record, given, timeout, signal_name))

    async def _restart(
        self, record: ContainerRecord, given: str, timeout: int | None, sig: str | None
    ) -> None:
        context = self.context
        context.restarting[record.id] += 1
        failure: EngineError | None = None
        try:
            if record.state.running:
                await self._stop(record, given, timeout, sig)
            async with context.lock(record.id):
                context.ensure_present(record, given)
                context.ensure_not_marked(record, given)
                if not record.state.running:
                    await self.start_locked(record)
        except EngineError as err:
            failure = err
        finally:
            context.restarting[record.id] -= 1
            if context.restarting[record.id] <= 0:
                del context.restarting[record.id]
        if failure is not None:
            if record.auto_remove and context.records.get(record.id) is record:
                await self.removal.auto_remove(record, drain=False)  # as a failed start does
            raise failure
        context.publish(record, "restart")


def _names_dir(rootfs: Path, command: str) -> bool:
    """Whether an absolute command names a directory in the (still mounted) rootfs."""
    if not command.startswith("/") or len(command) > MAX_PATH:
        return False
    try:
        return (rootfs / command.lstrip("/")).is_dir()
    except OSError:
        return False
