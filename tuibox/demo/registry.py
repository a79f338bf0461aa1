"""Runs Debian's docker-registry on 127.0.0.1 with a config of our own (no auth, no other NIC)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

REGISTRY_BINARY = Path("/usr/bin/docker-registry")
LOOPBACK = "127.0.0.1"
_PORT_ATTEMPTS = 3


class RegistryError(Exception):
    """The local registry could not start or stop; the text says why and what to do."""


def render_config(storage_root: Path, port: int) -> str:
    """Return the registry's YAML config: filesystem storage, loopback only, no auth.

    JSON strings are valid YAML scalars, so paths are quoted with json.dumps.
    """
    return "\n".join([
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {json.dumps(str(storage_root))}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: {json.dumps(f'{LOOPBACK}:{port}')}",
        f"  secret: {json.dumps(secrets.token_hex(16))}",
        "",
    ])


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def registry_answers(url: str, timeout: float = 1.0) -> bool:
    """Tell whether ``GET <url>/v2/`` answers 200 (the registry speaks the API, no auth)."""
    try:
        return httpx.get(f"{url}/v2/", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class LocalRegistry:
    """A docker-registry process bound to 127.0.0.1, storing under one directory.

    Lifecycle: ``start()`` writes ``<state_dir>/registry.yml``, launches the registry and
    waits until ``/v2/`` answers 200; ``stop()`` ends that one process (SIGTERM, then
    SIGKILL). With ``detached=True`` the process outlives this Python process (its own
    session, output in ``registry.log``) and ``stop()`` may be called from another
    process through ``LocalRegistry.attach``. Used as a context manager it starts and stops.
    """

    def __init__(self, state_dir: Path, port: int = 0, binary: Path = REGISTRY_BINARY) -> None:
        self.state_dir = state_dir
        self.binary = binary
        self._requested_port = port
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    @property
    def config_path(self) -> Path:
        """The registry config file this instance writes and starts the process with."""
        return self.state_dir / "registry.yml"

    @property
    def log_path(self) -> Path:
        """Where the registry's own output goes."""
        return self.state_dir / "registry.log"

    @property
    def port(self) -> int:
        """The loopback port the registry listens on (known once started)."""
        return self._port

    @property
    def pid(self) -> int | None:
        """The registry's process ID while it runs."""
        return self._pid

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:5000``."""
        return f"http://{LOOPBACK}:{self._port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, as an ``insecure-registries`` entry names it."""
        return f"{LOOPBACK}:{self._port}"

    @classmethod
    def attach(cls, state_dir: Path, pid: int, port: int) -> LocalRegistry:
        """Return a handle on a registry that an earlier process started detached."""
        registry = cls(state_dir, port)
        registry._pid = pid
        return registry

    def start(self, timeout: float = 15.0, *, detached: bool = False) -> None:
        """Start the registry and wait until it answers.

        Args:
            timeout: seconds to wait for ``GET /v2/`` to answer 200.
            detached: let the process outlive this one (own session, no handle kept).

        Raises:
            RegistryError: the binary is missing, or the registry exited or did not answer.
        """
        if not self.binary.exists():
            raise RegistryError(
                f"{self.binary} is missing; install it with: apt-get install docker-registry"
            )
        attempts = 1 if self._requested_port else _PORT_ATTEMPTS
        for attempt in range(attempts):
            self._port = self._requested_port or free_loopback_port()
            self._launch(detached)
            try:
                self._wait_ready(timeout)
                return
            except RegistryError:
                self.stop()
                if attempt == attempts - 1:
                    raise

    def is_running(self) -> bool:
        """Tell whether the registry process started with this config still runs."""
        return self._pid is not None and _is_our_process(self._pid, self.config_path)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the registry process this instance started or attached to; idempotent."""
        pid, process = self._pid, self._process
        self._pid = self._process = None
        if process is not None:
            _stop_child(process, timeout)
        elif pid is not None and _is_our_process(pid, self.config_path):
            _stop_foreign(pid, timeout)

    def __enter__(self) -> LocalRegistry:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self, detached: bool) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_config(self.state_dir / "data", self._port))
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                [str(self.binary), "serve", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True,
            )
        self._pid = process.pid
        if detached:
            process.returncode = 0  # the process lives on; this handle must not reap or warn
        else:
            self._process = process

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RegistryError(f"docker-registry exited at start: {self._log_tail()}")
            if registry_answers(self.url, timeout=0.5):
                return
            time.sleep(0.05)
        raise RegistryError(
            f"docker-registry did not answer on {self.url} within {timeout:.0f} s: "
            f"{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-3:])
        return "(no log)"


def _is_our_process(pid: int, config_path: Path) -> bool:
    """Tell whether ``pid`` is docker-registry serving ``config_path`` (not a reused PID)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return argv[0].endswith(b"docker-registry") and str(config_path).encode() in argv


def _stop_child(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def _stop_foreign(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap_if_child(pid)
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"



def _reap_if_child(pid: int) -> None:
    """Collect the exit status when a detached registry is still our own child."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
