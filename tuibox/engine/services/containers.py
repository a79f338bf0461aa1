"""Container verbs: create, start, stop, kill, restart, remove, and exit handling.

Each verb looks the container up, takes its lock, checks the state guard, drives the
runtime, saves the record and publishes an event. Exits are noticed by one watcher task
per running container, which waits on conmon and then records the exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal as signals
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tuibox.engine.domain.container import (
    ContainerRecord,
    Status,
    now_rfc3339,
    validate_name,
)
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.names import random_name
from tuibox.engine.layers import overlay
from tuibox.engine.runtime.conmon import ConmonRuntime
from tuibox.engine.runtime.oci_spec import (
    DEFAULT_CAPABILITIES,
    RuntimeSpec,
    build_oci_config,
    host_thermal_throttle_paths,
)
from tuibox.engine.runtime.seccomp import default_seccomp
from tuibox.engine.services.container_config import merge_process
from tuibox.engine.services.events import Event, EventBus, container_event
from tuibox.engine.services.images import ImageService
from tuibox.engine.store.atomic import write_json_atomic
from tuibox.engine.store.containers import ContainerStore

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10
KILL_WAIT_SECONDS = 10.0


def parse_signal(text: str | None, default: int) -> int:
    """Read "TERM", "SIGTERM" or "15" into a signal number."""
    if not text:
        return default
    if text.isdigit():
        number = int(text)
        if not 0 < number < 65:
            raise InvalidArgument(f"Invalid signal: {text}")
        return number
    name = text.upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    try:
        return int(signals.Signals[name])
    except KeyError:
        raise InvalidArgument(f"Invalid signal: {text}") from None


class ContainerService:
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
        self._locks: dict[str, asyncio.Lock] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._readers: dict[str, set[asyncio.Event]] = {}
        self._seccomp = default_seccomp(DEFAULT_CAPABILITIES)
        self._masked_paths = host_thermal_throttle_paths()
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

    # --- create -------------------------------------------------------------------

    async def create(self, body: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Create a container from a Docker create body; roll back everything on failure."""
        image_ref = body.get("Image")
        if not isinstance(image_ref, str) or not image_ref:
            raise InvalidArgument("Config.Image is required: name the image to create from")
        host_config = body.get("HostConfig") or {}
        if not isinstance(host_config, dict):
            raise InvalidArgument("HostConfig must be an object")
        if body.get("Tty") or body.get("OpenStdin"):
            raise InvalidArgument(
                "interactive containers (-i, -t) are not supported by the tuibox engine yet; "
                "run without -i and -t"
            )
        final_name = self._choose_name(name)
        image = self.images.resolve(image_ref)
        image_config = dict(image.config.get("config") or {})
        process = merge_process(body, image_config)
        container_id = secrets.token_hex(32)
        config = {
            "Hostname": body.get("Hostname") or container_id[:12],
            "Domainname": "",
            "User": body.get("User") or image_config.get("User", ""),
            "AttachStdin": bool(body.get("AttachStdin")),
            "AttachStdout": bool(body.get("AttachStdout")),
            "AttachStderr": bool(body.get("AttachStderr")),
            "Tty": bool(body.get("Tty")),
            "OpenStdin": bool(body.get("OpenStdin")),
            "StdinOnce": bool(body.get("StdinOnce")),
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
        record = ContainerRecord(
            id=container_id,
            name=final_name,
            created=now_rfc3339(),
            image_ref=image_ref,
            image_id=image.id,
            path=process.path,
            args=process.args,
            config=config,
            host_config=_normalise_host_config(host_config),
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
        self._publish(record, "create")
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

    # --- start --------------------------------------------------------------------

    async def start(self, given: str) -> None:
        """Mount the rootfs, write the bundle, run conmon + crun, and watch for the exit."""
        record = self.lookup(given)
        async with self.lock(record.id):
            record.state.check_can_start()
            await self._start_locked(record)

    async def _start_locked(self, record: ContainerRecord) -> None:
        paths = self.paths(record.id)
        try:
            await asyncio.to_thread(self._prepare_bundle, record, paths)
            pid = await self.runtime.create(record.id, paths["bundle"], paths["log"])
            await self.runtime.start(record.id)
        except Exception as err:
            await self._release(record)
            record.state.error = str(err)
            record.state.exit_code = _start_failure_code(str(err))
            self.store.save(record)
            if isinstance(err, RuntimeFailure):
                raise
            raise RuntimeFailure(f"cannot start container {record.short_id}: {err}") from err
        state = record.state
        state.status, state.pid, state.error = Status.RUNNING, pid, ""
        state.exit_code, state.started_at = 0, now_rfc3339()
        state.finished_at = "0001-01-01T00:00:00Z"
        self.store.save(record)
        self._watch(record.id)
        self._publish(record, "start")

    def _prepare_bundle(self, record: ContainerRecord, paths: dict[str, Path]) -> None:
        if not overlay.is_mounted(paths["rootfs"]):
            lowers = self.images.layer_dirs_for_chains(record.layer_chain)
            overlay.mount_overlay(lowers, paths["upper"], paths["work"], paths["rootfs"])
        spec = RuntimeSpec(
            container_id=record.id,
            rootfs=paths["rootfs"],
            args=(record.path, *record.args),
            env=tuple(record.config["Env"]),
            cwd=record.config.get("WorkingDir") or "/",
            hostname=record.config.get("Hostname") or record.short_id,
            cgroup_path=f"{self.cgroup_parent}/{record.id}",
            nofile_limit=self.nofile_limit,
            terminal=bool(record.config.get("Tty")),
            extra_masked_paths=self._masked_paths,
            seccomp=self._seccomp,
        )
        write_json_atomic(paths["bundle"] / "config.json", build_oci_config(spec), durable=False)

    # --- exits --------------------------------------------------------------------

    def _watch(self, container_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._watch_exit(container_id))
        self._watchers[container_id] = task

    async def _watch_exit(self, container_id: str) -> None:
        try:
            exit_code = await self.runtime.wait_exit(container_id)
        except Exception as err:
            log.error("lost track of container %s: %s", container_id[:12], err)
            exit_code = 255
        await self._record_exit(container_id, exit_code)

    async def _record_exit(self, container_id: str, exit_code: int) -> None:
        record = self.records.get(container_id)
        if record is None:
            return
        async with self.lock(container_id):
            state = record.state
            state.status, state.pid, state.exit_code = Status.EXITED, 0, exit_code
            state.finished_at = now_rfc3339()
            self.store.save(record)
            self._watchers.pop(container_id, None)
            self._publish(record, "die", exitCode=str(exit_code), exit_code=exit_code)
            if not record.auto_remove:  # removal releases it right after the destroy event
                await self._release(record)
        if record.auto_remove:
            await self._drain_readers(container_id)
            with contextlib.suppress(NotFound):
                await self.remove(container_id, force=True)

    async def _release(self, record: ContainerRecord) -> None:
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

    async def _drain_readers(self, container_id: str) -> None:
        """Give attached streams a moment to send the last output before the log goes."""
        pending = [e.wait() for e in self._readers.get(container_id, set())]
        if pending:
            await asyncio.wait_for(asyncio.gather(*pending), timeout=5.0)

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

    async def wait_for_exit(self, record: ContainerRecord, timeout: float | None) -> bool:
        """Wait until the current run is recorded as ended; False on timeout."""
        queue = self.events.subscribe(container_event(record.id, {"die"}))
        try:
            if not record.state.running:
                return True
            await asyncio.wait_for(queue.get(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.events.unsubscribe(queue)

    # --- stop, kill, restart, remove ---------------------------------------------

    async def stop(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        """SIGTERM (or the stop signal), wait up to the timeout, then SIGKILL. Shielded."""
        record = self.lookup(given)
        record.state.check_can_stop()
        await asyncio.shield(self._stop(record, timeout, signal_name))

    async def _stop(self, record: ContainerRecord, timeout: int | None, sig: str | None) -> None:
        default_signal = parse_signal(record.config.get("StopSignal"), signals.SIGTERM)
        stop_signal = parse_signal(sig, default_signal)
        if timeout is None:
            configured = record.config.get("StopTimeout")
            timeout = configured if isinstance(configured, int) else DEFAULT_STOP_TIMEOUT
        await self._signal(record, stop_signal)
        wait_seconds = None if timeout < 0 else float(timeout)
        if await self.wait_for_exit(record, wait_seconds):
            return
        await self._signal(record, signals.SIGKILL)
        await self.wait_for_exit(record, KILL_WAIT_SECONDS)

    async def _signal(self, record: ContainerRecord, number: int) -> None:
        self._publish(record, "kill", signal=str(number))
        with contextlib.suppress(RuntimeFailure):
            await self.runtime.kill(record.id, number)

    async def kill(self, given: str, signal_name: str | None) -> None:
        """Send a signal; for SIGKILL, return only once the exit is recorded (docker-py)."""
        record = self.lookup(given)
        record.state.check_can_kill(given, record.id)
        number = parse_signal(signal_name, signals.SIGKILL)
        await self.runtime.kill(record.id, number)
        self._publish(record, "kill", signal=str(number))
        if number == signals.SIGKILL:
            await asyncio.shield(self.wait_for_exit(record, KILL_WAIT_SECONDS))

    async def restart(self, given: str, timeout: int | None, signal_name: str | None) -> None:
        record = self.lookup(given)
        if record.state.running:
            await asyncio.shield(self._stop(record, timeout, signal_name))
        async with self.lock(record.id):
            if not record.state.running:
                await self._start_locked(record)
        self._publish(record, "restart")

    async def remove(self, given: str, force: bool) -> None:
        """Remove a container: 409 while running unless forced, then kill it first."""
        record = self.lookup(given)
        record.state.check_can_remove(given, force)
        if record.state.running:
            await self.runtime.kill(record.id, signals.SIGKILL)
            await asyncio.shield(self.wait_for_exit(record, KILL_WAIT_SECONDS))
        async with self.lock(record.id):
            if record.id not in self.records:
                raise NotFound(f"No such container: {given}")
            await self._remove_locked(record)

    async def _remove_locked(self, record: ContainerRecord) -> None:
        """Mark the record removing, tell waiters, then free its files.

        `docker run --rm` waits for the destroy event; the unmount and file removal that
        follow need not delay it. An engine that dies before the end finishes the job
        when it recovers, since the record on disk says removing.
        """
        record.state.status = Status.REMOVING
        self.store.save(record)
        del self.records[record.id]
        self._publish(record, "destroy", exit_code=record.state.exit_code)
        await self._release(record)
        await asyncio.to_thread(self.store.delete, record.id)
        self._locks.pop(record.id, None)

    # --- recovery -----------------------------------------------------------------

    async def recover(self) -> None:
        """Reload records after an engine restart; reattach to live containers via conmon."""
        for record in self.store.load_all():
            self.records[record.id] = record
            if record.state.status is Status.REMOVING:
                await self._remove_locked(record)
                continue
            if record.state.status is not Status.RUNNING:
                if self.runtime.conmon_alive(record.id):
                    await self._finish_interrupted_start(record)
                continue
            if self.runtime.conmon_alive(record.id):
                self._watch(record.id)
                continue
            code = self.runtime.exit_code(record.id)
            await self._record_exit(record.id, 255 if code is None else code)

    async def _finish_interrupted_start(self, record: ContainerRecord) -> None:
        """An engine that died between `crun start` and saving the record left a live run:
        adopt it if it runs, otherwise free what the half-done start holds."""
        runtime_state = await self.runtime.state(record.id)
        if runtime_state is not None and runtime_state.status == "running":
            state = record.state
            state.status, state.pid, state.started_at = (
                Status.RUNNING,
                runtime_state.pid,
                now_rfc3339(),
            )
            self.store.save(record)
            self._watch(record.id)
            return
        with contextlib.suppress(RuntimeFailure):
            await self.runtime.kill(record.id, signals.SIGKILL)
        await self._release(record)

    def _publish(
        self, record: ContainerRecord, action: str, exit_code: int | None = None, **extra: str
    ) -> None:
        attributes = {"image": record.image_ref, "name": record.name, **extra}
        attributes.update({k: str(v) for k, v in (record.config.get("Labels") or {}).items()})
        self.events.publish(Event("container", action, record.id, attributes, exit_code=exit_code))


def _start_failure_code(message: str) -> int:
    lowered = message.lower()
    if "not found" in lowered or "no such file" in lowered:
        return 127
    if "permission denied" in lowered:
        return 126
    return 128


def _normalise_host_config(given: dict[str, Any]) -> dict[str, Any]:
    host_config = dict(given)
    log_config = host_config.get("LogConfig") or {}
    if not log_config.get("Type"):
        host_config["LogConfig"] = {"Type": "json-file", "Config": {}}
    host_config.setdefault("NetworkMode", "none")
    if host_config.get("NetworkMode") == "default":
        host_config["NetworkMode"] = "none"
    host_config.setdefault("RestartPolicy", {"Name": "no", "MaximumRetryCount": 0})
    host_config["AutoRemove"] = bool(host_config.get("AutoRemove"))
    return host_config
