"""Provides ContainerExecs: `docker exec` (create, start, inspect, resize) with Docker's rules.

An exec runs as a new process in the container's namespaces and cgroup, with the
container's capabilities, seccomp profile and limits (its config.json's process), and the
exec's own command, environment, user, working directory and terminal. Sessions are kept
in memory, as dockerd keeps them, until the container is removed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any

from tuibox.engine.domain.container import Status
from tuibox.engine.domain.detach_keys import DEFAULT_DETACH_KEYS, parse_detach_keys
from tuibox.engine.domain.errors import (
    Conflict,
    EngineError,
    InvalidArgument,
    NotFound,
    RuntimeFailure,
)
from tuibox.engine.runtime.protocol import ExecHandle, Runtime
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.rules.create import MAX_ARG_BYTES, merge_env
from tuibox.engine.services.containers.rules.start import classify_start_failure
from tuibox.engine.services.containers.rules.users import read_user_files, resolve_user

log = logging.getLogger(__name__)

CREATE_FIELDS = {
    "AttachStdin", "AttachStdout", "AttachStderr", "DetachKeys", "Tty", "ConsoleSize", "Env",
    "Cmd", "Privileged", "User", "WorkingDir", "Detach", "Container",
}  # fmt: skip
"""What an exec create body may hold; Detach and Container are sent by clients, unused."""
PROBE_OUTPUT_LIMIT = 4096
"""Docker keeps the first 4 KiB of a probe's output."""
RESIZE_WAIT = 10.0
"""How long a resize waits for its exec to start."""
MAX_SESSIONS_PER_CONTAINER = 256
"""Ended sessions beyond this many are forgotten, oldest first."""


@dataclass
class ExecSession:
    """One exec: what was asked, and how it is going."""

    id: str
    container_id: str
    cmd: list[str]
    tty: bool
    attach_stdin: bool
    attach_stdout: bool
    attach_stderr: bool
    env: list[str]
    user: str
    working_dir: str
    privileged: bool
    detach_keys: bytes
    console_size: tuple[int, int] | None
    running: bool = False
    started: bool = False
    failure: str = ""
    """Why the process never ran, in Docker's words (the exit code is then 126 or 127)."""
    exit_code: int | None = None
    pid: int = 0
    process: ExecHandle | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the process runs (or failed to): a resize may come before that."""

    @property
    def command(self) -> str:
        return " ".join(shlex.quote(word) if " " in word else word for word in self.cmd)


class ContainerExecs:
    """The exec sessions of one engine's containers."""

    def __init__(self, context: ContainerContext, runtime: Runtime, grantable: tuple[str, ...]):
        self.context = context
        self.runtime = runtime
        self.grantable = grantable
        self.sessions: dict[str, ExecSession] = {}

    # --- create ---------------------------------------------------------------------

    def create(self, given: str, body: dict[str, Any]) -> dict[str, str]:
        """POST /containers/{id}/exec.

        Raises:
            NotFound: no such container.
            Conflict: it is not running, or paused.
            InvalidArgument: no command, a field of the wrong type, one not honoured.
        """
        body = {_canonical(key): value for key, value in body.items()}
        for key, value in body.items():
            if key not in CREATE_FIELDS and value not in (None, "", [], {}, False, 0):
                raise InvalidArgument(f"the exec field {key} is not supported by the tuibox "
                                      "engine; leave it out")  # fmt: skip
        record = self.context.lookup(given)
        cmd = _strings(body, "Cmd")
        if not cmd:
            raise InvalidArgument("No exec command specified")
        if record.state.status is Status.PAUSED:
            raise Conflict(f"Container {record.id} is paused, unpause the container before exec")
        if not record.state.running:
            raise Conflict(f"container {record.id} is not running")
        env = _strings(body, "Env")
        if any("\0" in word or len(word.encode()) > MAX_ARG_BYTES for word in [*cmd, *env]):
            raise InvalidArgument("Cmd and Env entries must be shorter than 128 KiB, without NUL")
        keys = body.get("DetachKeys") or ""
        if not isinstance(keys, str):
            raise InvalidArgument("DetachKeys must be a string")
        detach_keys = parse_detach_keys(keys, "escape") if keys else DEFAULT_DETACH_KEYS
        session = ExecSession(
            id=secrets.token_hex(32),
            container_id=record.id,
            cmd=cmd,
            tty=_bool(body, "Tty"),
            attach_stdin=_bool(body, "AttachStdin"),
            attach_stdout=_bool(body, "AttachStdout"),
            attach_stderr=_bool(body, "AttachStderr"),
            env=env,
            user=_string(body, "User"),
            working_dir=_string(body, "WorkingDir"),
            privileged=_bool(body, "Privileged"),
            detach_keys=detach_keys,
            console_size=_console_size(body.get("ConsoleSize")),
        )
        if session.working_dir and not session.working_dir.startswith("/"):
            raise InvalidArgument(f"the working directory '{session.working_dir}' is invalid, "
                                  "it needs to be an absolute path")  # fmt: skip
        self._forget_old(record.id)
        self.sessions[session.id] = session
        self.context.publish(record, f"exec_create: {session.command}", execID=session.id)
        return {"Id": session.id}

    def _forget_old(self, container_id: str) -> None:
        ended = [s for s in self.sessions.values()
                 if s.container_id == container_id and s.exit_code is not None]  # fmt: skip
        for session in ended[: max(0, len(ended) - MAX_SESSIONS_PER_CONTAINER + 1)]:
            self.sessions.pop(session.id, None)

    # --- start ----------------------------------------------------------------------

    def get(self, exec_id: str) -> ExecSession:
        """Raises NotFound with Docker's words."""
        session = self.sessions.get(exec_id)
        if session is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return session

    async def start(
        self, exec_id: str, *, tty: bool | None = None, console_size: tuple[int, int] | None = None
    ) -> ExecSession:
        """Start the process; the caller relays its stdio, then awaits `finish`.

        Raises:
            NotFound: no such exec.
            Conflict: it ran already, or its container stopped.
            InvalidArgument: an unknown user; a command that cannot run (126/127 recorded).
        """
        session = self.get(exec_id)
        if session.started:
            state = "is already running" if session.running else "has already run"
            raise Conflict(f"exec command {exec_id} {state}")
        record = self.context.records.get(session.container_id)
        if record is None or not record.state.running:
            raise Conflict(f"container {session.container_id} is not running")
        if record.state.status is Status.PAUSED:
            raise Conflict(f"Container {record.id} is paused, unpause the container before exec")
        session.started = True
        if tty is not None:
            session.tty = tty
        if console_size is not None:
            session.console_size = console_size
        try:
            process = await asyncio.to_thread(self._process_spec, session)
            handle = await self.runtime.exec(record.id, session.id, process,
                                             stdin=session.attach_stdin)  # fmt: skip
        except (OSError, ValueError) as err:
            session.exit_code = 126
            session.ended.set()
            session.ready.set()
            raise RuntimeFailure(f"cannot start the exec: {err}") from err
        except InvalidArgument:
            session.exit_code = 126
            session.ended.set()
            session.ready.set()
            raise
        session.process, session.pid, session.running = handle, handle.pid, True
        session.ready.set()
        self.context.publish(record, f"exec_start: {session.command}", execID=session.id)
        return session

    def _process_spec(self, session: ExecSession) -> dict[str, Any]:
        """The container's OCI process with the exec's command, env, user, cwd and terminal."""
        paths = self.context.paths(session.container_id)
        config = json.loads((paths.bundle / "config.json").read_text())
        process: dict[str, Any] = copy.deepcopy(config["process"])
        process["args"] = list(session.cmd)
        env = merge_env(list(process.get("env") or []), session.env)
        if session.tty and not any(e.startswith("TERM=") for e in env):
            env.append("TERM=xterm")
        process["env"] = env
        if session.working_dir:
            process["cwd"] = session.working_dir
        if session.user:
            user = resolve_user(session.user, *read_user_files(paths.rootfs))
            process["user"] = {"uid": user.uid, "gid": user.gid,
                               **({"additionalGids": list(user.additional_gids)}
                                  if user.additional_gids else {})}  # fmt: skip
        if session.privileged:
            caps = list(self.grantable)
            process["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
        process["terminal"] = session.tty
        process.pop("consoleSize", None)
        if session.tty and session.console_size and all(session.console_size):
            height, width = session.console_size
            process["consoleSize"] = {"height": height, "width": width}
        return process

    async def finish(self, session: ExecSession) -> int:
        """Wait for the process to end; record and publish its exit code (126/127 if it
        never ran), and answer it."""
        handle = session.process
        if handle is None:
            await session.ended.wait()
            return session.exit_code if session.exit_code is not None else 126
        try:
            code = await handle.wait()
            message = ""
        except RuntimeFailure as err:
            failure = classify_start_failure(session.cmd[0], str(err), is_dir=False)
            code, message = failure.exit_code, failure.message
            session.failure = f"OCI runtime exec failed: {message}"
        session.exit_code, session.running = code, False
        session.ended.set()
        record = self.context.records.get(session.container_id)
        if record is not None:
            self.context.publish(record, "exec_die", execID=session.id, exitCode=str(code))
        if message:
            log.info("exec %s failed to start: %s", session.id[:12], message)
        return code

    def start_detached(self, session: ExecSession) -> None:
        """Let a started exec run on its own (its output is dropped, as Docker does)."""

        async def drain() -> None:
            assert session.process is not None
            with contextlib.suppress(Exception):
                async for _ in session.process.output():
                    pass
            await self.finish(session)

        task = asyncio.get_running_loop().create_task(drain())
        self.context.adopt(task)

    async def probe(self, container_id: str, cmd: list[str], timeout: float) -> tuple[int, str]:
        """Run a healthcheck command: (exit code, the start of its output).

        A timeout kills it and counts as a failure (-1), as dockerd's probes.
        """
        session = ExecSession(id=secrets.token_hex(32), container_id=container_id, cmd=cmd,
                              tty=False, attach_stdin=False, attach_stdout=True,
                              attach_stderr=True, env=[], user="", working_dir="",
                              privileged=False, detach_keys=DEFAULT_DETACH_KEYS,
                              console_size=None)  # fmt: skip
        try:
            process = await asyncio.to_thread(self._process_spec, session)
            handle = await self.runtime.exec(container_id, session.id, process, stdin=False)
        except (OSError, ValueError, EngineError) as err:
            return -1, f"cannot run the healthcheck: {err}"
        output = bytearray()

        async def collect() -> int:
            async for _, chunk in handle.output():
                if len(output) < PROBE_OUTPUT_LIMIT:
                    output.extend(chunk[: PROBE_OUTPUT_LIMIT - len(output)])
            return await handle.wait()

        try:
            code = await asyncio.wait_for(collect(), timeout)
        except TimeoutError:
            handle.kill()
            return -1, f"Health check exceeded timeout ({timeout:g}s)"
        except RuntimeFailure as err:
            return classify_start_failure(cmd[0], str(err), is_dir=False).exit_code, str(err)
        return code, output.decode(errors="replace")

    # --- reads ----------------------------------------------------------------------

    def inspect(self, exec_id: str) -> dict[str, Any]:
        """GET /exec/{id}/json, in Docker's shape."""
        session = self.get(exec_id)
        return {
            "ID": session.id,
            "Running": session.running,
            "ExitCode": session.exit_code,
            "ProcessConfig": {"tty": session.tty, "entrypoint": session.cmd[0],
                              "arguments": session.cmd[1:], "privileged": session.privileged,
                              "user": session.user},
            "OpenStdin": session.attach_stdin,
            "OpenStderr": session.attach_stderr,
            "OpenStdout": session.attach_stdout,
            "CanRemove": False,
            "ContainerID": session.container_id,
            "DetachKeys": base64.b64encode(session.detach_keys).decode(),  # []byte in Go
            "Pid": session.pid,
        }

    async def resize(self, exec_id: str, height: int, width: int) -> None:
        """POST /exec/{id}/resize; waits up to 10 s for a start under way, as dockerd.

        Raises:
            NotFound: no such exec.
            Conflict: it is not running.
        """
        session = self.get(exec_id)
        if session.started and not session.ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.ready.wait(), RESIZE_WAIT)
        if session.process is None or not session.running:
            raise Conflict(f"exec {exec_id} is not running")
        session.process.resize(height, width)

    def forget_container(self, container_id: str) -> None:
        """The container is gone: end and drop its sessions."""
        for session in [s for s in self.sessions.values() if s.container_id == container_id]:
            if session.process is not None and session.running:
                session.process.kill()
            self.sessions.pop(session.id, None)


def _canonical(key: str) -> str:
    for known in CREATE_FIELDS:
        if key.lower() == known.lower():
            return known
    return key


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if isinstance(value, str) and key == "Cmd":
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{key} must be a list of strings")
    return list(value)


def _bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{key} must be true or false")
    return bool(value)


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key) or ""
    if not isinstance(value, str) or len(value) > 4096 or "\0" in value:
        raise InvalidArgument(f"{key} must be a string")
    return value


def _console_size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 65536
                       for v in value)):  # fmt: skip
        raise InvalidArgument("ConsoleSize must be [height, width]")
    return value[0], value[1]
