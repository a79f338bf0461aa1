"""Fixtures for engine integration tests: a real engine subprocess and a loopback registry."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.engine.engine_netns import EngineNamespace, engine_namespace
from tuibox.demo.push import seed_registry
from tuibox.demo.registry import LocalRegistry

# docker is the CLI the tests drive (any 20.10 or newer; the install script brings Debian's
# docker.io when there is none): the `client` fixture pulls with it, most tests run it.
REQUIRED_TOOLS = ("crun", "conmon", "docker-registry", "docker")
# A closed loopback port as the proxy for everything but loopback: a pull that falls back
# from the mirror to Docker Hub fails here at once instead of leaving the machine.
OFFLINE_PROXY_ENV = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost,::1",
}


@pytest.fixture(scope="session", autouse=True)
def _no_traffic_beyond_loopback() -> Iterator[None]:
    """Route every non-loopback HTTP request of the engine and of these tests nowhere."""
    saved = {key: os.environ.get(key) for key in OFFLINE_PROXY_ENV}
    os.environ.update(OFFLINE_PROXY_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def require_engine_prerequisites() -> None:
    """Skip with the reason on a developer box; fail under CI, where nothing may skip."""
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if not Path("/bin/busybox").exists():
        missing.append("busybox-static (/bin/busybox)")
    if os.geteuid() != 0:
        missing.append("root")
    if missing:
        reason = "engine tests need " + ", ".join(missing) + " (scripts/install-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@dataclass
class EngineProcess:
    """A running `python -m tuibox.engine` with its own directories."""

    root: Path
    socket: Path
    data_root: Path
    exec_root: Path
    config_file: Path
    namespace: EngineNamespace | None = None
    """The network namespace the engine runs in (its bridges and rules are there)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def client(self, timeout: float = 30.0) -> httpx.Client:
        transport = httpx.HTTPTransport(uds=str(self.socket))
        return httpx.Client(transport=transport, base_url="http://tuibox", timeout=timeout)

    def docker_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DOCKER_HOST=self.host, DOCKER_CONFIG=str(self.root / "docker-config"))
        return env

    def docker(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run the real docker CLI against this engine."""
        return subprocess.run(
            ["docker", *args],
            env=self.docker_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def argv(self) -> list[str]:
        """The engine's command line, inside its network namespace when it has one."""
        argv = [sys.executable, "-m", "tuibox.engine", "--socket", str(self.socket),
                "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
                "--config", str(self.config_file)]  # fmt: skip
        return self.namespace.command(*argv) if self.namespace else argv

    def start(self) -> None:
        log = (self.root / "engine.log").open("ab")
        self.process = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"engine exited at start:\n{self.log_text()}")
            with contextlib.suppress(httpx.HTTPError), self.client(timeout=1) as client:
                if client.get("/_ping").text == "OK":
                    return
            time.sleep(0.05)
        raise RuntimeError(f"engine did not answer /_ping:\n{self.log_text()}")

    def stop(self, sig_kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if sig_kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        path = self.root / "engine.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def remove_all_containers(self) -> None:
        with contextlib.suppress(httpx.HTTPError), self.client() as client:
            for summary in client.get("/containers/json", params={"all": "1"}).json():
                client.delete(f"/containers/{summary['Id']}", params={"force": "1"})


def _unmount_below(path: Path) -> None:
    """Unmount whatever a failed test left mounted under our own directory."""
    mounts = Path("/proc/mounts").read_text().splitlines()
    targets = [line.split()[1] for line in mounts if line.split()[1].startswith(str(path))]
    for target in sorted(targets, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False)


def _remove_cgroup_parent(name: str) -> None:
    """Remove the engine's own (now empty) cgroup parent and its conmon cgroup everywhere."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        for cgroup in (hierarchy / name / "conmon", hierarchy / name):
            with contextlib.suppress(OSError):
                cgroup.rmdir()


@contextlib.contextmanager
def engine_process(mirror_url: str | None) -> Iterator[EngineProcess]:
    """Start an engine under a fresh temporary root; tear everything down afterwards."""
    root = Path(tempfile.mkdtemp(prefix="tuibox-test-", dir="/tmp"))
    config_file = root / "engine.json"
    config: dict[str, object] = {"cgroup-parent": f"/{root.name}"}
    if mirror_url:
        config["registry-mirrors"] = [mirror_url]
        config["insecure-registries"] = [mirror_url.removeprefix("http://")]
    config_file.write_text(json.dumps(config))
    with engine_namespace(mirror_url) as namespace:
        engine = EngineProcess(
            root=root,
            socket=root / "engine.sock",
            data_root=root / "data",
            exec_root=root / "run",
            config_file=config_file,
            namespace=namespace,
        )
        try:
            engine.start()
            yield engine
        finally:
            engine.remove_all_containers()
            engine.stop()
            _unmount_below(root)
            _remove_cgroup_parent(root.name)
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def registry() -> Iterator[str]:
    """Debian's docker-registry on a random loopback port, seeded with the demo images."""
    require_engine_prerequisites()
    state = Path(tempfile.mkdtemp(prefix="tuibox-registry-", dir="/tmp"))
    try:
        with LocalRegistry(state) as running:
            seed_registry(running.url)
            yield running.url
    finally:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(registry: str) -> Iterator[EngineProcess]:
    """One engine for the session, with the registry as its Docker Hub mirror."""
    with engine_process(registry) as running:
        yield running


@pytest.fixture
def fresh_engine(registry: str) -> Iterator[EngineProcess]:
    """An engine of the test's own, for tests that stop or kill it."""
    with engine_process(registry) as running:
        yield running


@pytest.fixture
def client(engine: EngineProcess) -> Iterator[httpx.Client]:
    """A raw API client on the session engine, with busybox pulled."""
    assert engine.docker("pull", "busybox").returncode == 0
    with engine.client() as api:
        yield api


@pytest.fixture
def cli(engine: EngineProcess) -> Iterator[EngineProcess]:
    """The engine with busybox pulled; containers a test left are removed afterwards."""
    assert engine.docker("pull", "busybox").returncode == 0
    before = set(engine.docker("ps", "-aq", "--no-trunc").stdout.split())
    yield engine
    for leftover in set(engine.docker("ps", "-aq", "--no-trunc").stdout.split()) - before:
        engine.docker("rm", "-f", leftover)


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Poll `condition` every 0.1 s; AssertionError if it does not hold within `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)
