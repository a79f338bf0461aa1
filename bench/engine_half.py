"""Times `docker run --rm busybox true` through a tuibox engine (given, or started here)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from netns import bench_namespace

import tuibox
from tuibox.demo.push import seed_registry
from tuibox.demo.registry import LocalRegistry

DOCKER = shutil.which("docker") or "docker"
"""Whichever docker CLI is on PATH (20.10 or newer)."""


@contextlib.contextmanager
def own_engine(
    work_dir: Path, mirror_url: str, mirror_host: str,
    wrap: Callable[[list[str]], list[str]] | None = None,
) -> Iterator[str]:  # fmt: skip
    """Start ``python -m tuibox.engine`` under ``work_dir`` with the mirror; yield its host URL.
    ``wrap`` turns the engine's argv into the one run (e.g. inside a network namespace)."""
    with own_engine_process(work_dir, mirror_url, mirror_host, wrap) as (host, _process):
        yield host


@contextlib.contextmanager
def own_engine_process(
    work_dir: Path, mirror_url: str, mirror_host: str,
    wrap: Callable[[list[str]], list[str]] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:  # fmt: skip
    """Like `own_engine`, also yielding the engine's process (to measure it). Without
    ``wrap`` the engine runs in a throwaway network namespace (bench/netns.py), so its
    bridge, veths and iptables rules never reach the host."""
    with contextlib.ExitStack() as stack:
        if wrap is None:
            wrap = stack.enter_context(bench_namespace(mirror_url)).command_list
        yield from _own_engine_process(work_dir, mirror_url, mirror_host, wrap)


def _own_engine_process(
    work_dir: Path, mirror_url: str, mirror_host: str,
    wrap: Callable[[list[str]], list[str]],
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:  # fmt: skip
    socket_path = work_dir / "engine.sock"
    config_path = work_dir / "engine.json"
    config_path.write_text(json.dumps(
        {"registry-mirrors": [mirror_url], "insecure-registries": [mirror_host]}
    ))
    argv = [sys.executable, "-m", "tuibox.engine", "--socket", str(socket_path),
            "--data-root", str(work_dir / "data"), "--exec-root", str(work_dir / "exec"),
            "--config", str(config_path)]
    argv = wrap(argv)
    source_root = str(Path(tuibox.__file__).resolve().parent.parent)
    python_path = os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}
    with open(work_dir / "engine.log", "ab") as log:
        engine = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    try:
        wait_for_ping(socket_path, engine, work_dir / "engine.log")
        yield f"unix://{socket_path}", engine
    finally:
        stop_process(engine)


def wait_for_ping(socket_path: Path, engine: subprocess.Popen[bytes], log: Path) -> None:
    """Wait up to 30 s for ``GET /_ping`` on the engine socket to answer 200."""
    transport = httpx.HTTPTransport(uds=str(socket_path))
    deadline = time.monotonic() + 30
    with httpx.Client(transport=transport, base_url="http://engine", timeout=1) as client:
        while time.monotonic() < deadline:
            if engine.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"engine exited with {engine.returncode}: {tail}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/_ping").status_code == 200:
                    return
            time.sleep(0.1)
    raise RuntimeError(f"engine did not answer /_ping on {socket_path} within 30 s")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM ``process`` (only it), then SIGKILL after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def docker(host: str, docker_config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI against ``host`` with a private config dir."""
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": str(docker_config)}
    return subprocess.run([DOCKER, *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False, timeout=120)


@contextlib.contextmanager
def seeded_registry(work_dir: Path) -> Iterator[LocalRegistry]:
    """Yield a loopback registry holding the demo images; stop it afterwards."""
    with LocalRegistry(work_dir / "registry") as registry:
        seed_registry(registry.url)
        yield registry


def ensure_busybox(host: str, docker_config: Path, registry: LocalRegistry) -> str:
    """Return an image reference for busybox the engine has, pulling it when absent."""
    if docker(host, docker_config, "image", "inspect", "busybox").returncode == 0:
        return "busybox"
    pulled = docker(host, docker_config, "pull", "busybox")
    if pulled.returncode == 0:
        return "busybox"
    direct = f"{registry.host}/library/busybox:latest"
    pulled = docker(host, docker_config, "pull", direct)
    if pulled.returncode != 0:
        raise RuntimeError(f"cannot pull busybox into the engine: {pulled.stderr.strip()}")
    return direct


def time_docker_runs(host: str, docker_config: Path, image: str,
                     runs: int, warmup: int, options: tuple[str, ...] = ()) -> list[float]:
    """Run `docker run --rm [options] <image> true` ``warmup + runs`` times; return the
    timed seconds."""
    env = {**os.environ, "DOCKER_HOST": host, "DOCKER_CONFIG": str(docker_config)}
    argv = [DOCKER, "run", "--rm", *options, image, "true"]
    samples: list[float] = []
    for index in range(warmup + runs):
        started = time.perf_counter()
        result = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL,
                                check=False, timeout=120)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(
                f"docker run failed ({result.returncode}): {result.stderr.decode().strip()}"
            )
        if index >= warmup:
            samples.append(elapsed)
    return samples


def time_cli_floor(runs: int) -> list[float]:
    """Time `docker --version`: the CLI's own start-up, with no engine involved."""
    samples: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([DOCKER, "--version"], capture_output=True, check=True)
        samples.append(time.perf_counter() - started)
    return samples
