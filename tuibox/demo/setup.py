"""Sets up the offline demo: a detached loopback registry, seeded, named in the engine config."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tuibox.demo.push import seed_registry
from tuibox.demo.registry import LocalRegistry, RegistryError, registry_answers

DEFAULT_ENGINE_CONFIG = Path("/etc/tuibox/engine.json")
DEFAULT_PORT = 5000
STATE_FILE = "registry.json"
PID_FILE = "registry.pid"


@dataclass(frozen=True)
class DemoSetup:
    """What ``setup_demo`` left running and wrote."""

    registry_url: str
    registry_pid: int
    reused: bool
    digests: dict[str, str]
    engine_config: Path


def setup_demo(state_dir: Path, port: int = DEFAULT_PORT,
               engine_config: Path = DEFAULT_ENGINE_CONFIG) -> DemoSetup:
    """Start (or reuse) the demo registry, push both images, and name it in the engine config.

    Args:
        state_dir: where the registry keeps its config, data, log and pid record.
        port: the loopback port to listen on.
        engine_config: the engine's JSON config file to update (other keys are kept).

    Returns:
        The registry's URL and PID, whether it was already running, the pushed digests.

    Raises:
        RegistryError: the registry cannot start (port taken, binary missing).
    """
    state_dir = state_dir.resolve()
    registry = _running_registry(state_dir, port)
    reused = registry is not None
    if registry is None:
        if registry_answers(f"http://127.0.0.1:{port}", timeout=0.5):
            raise RegistryError(
                f"something else already serves a registry on 127.0.0.1:{port}; "
                "stop it or choose another port with --port"
            )
        registry = LocalRegistry(state_dir, port)
        registry.start(detached=True)
        _write_state(state_dir, registry)
    digests = seed_registry(registry.url)
    update_engine_config(engine_config, registry.url, registry.host)
    return DemoSetup(registry.url, registry.pid or 0, reused, digests, engine_config)


def stop_demo(state_dir: Path) -> bool:
    """Stop the registry ``setup_demo`` started in ``state_dir``.

    Returns:
        True when a running registry was stopped, False when none was running.
    """
    state_dir = state_dir.resolve()
    registry = _recorded_registry(state_dir)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    if registry is None or not registry.is_running():
        return False
    registry.stop()
    return True


def update_engine_config(path: Path, mirror_url: str, insecure_host: str) -> None:
    """Add the mirror and the insecure host to a daemon.json-style file, keeping other keys.

    The mirror goes first so the engine tries it before any other; the file is replaced
    atomically.

    Raises:
        ValueError: the existing file is not a JSON object or a key is not a list.
    """
    document: dict[str, object] = {}
    if path.exists():
        loaded = json.loads(path.read_text() or "{}")
        if not isinstance(loaded, dict):
            raise ValueError(f"engine config {path} must hold a JSON object")
        document = loaded
    document["registry-mirrors"] = _prepend(document, "registry-mirrors", mirror_url, path)
    document["insecure-registries"] = _prepend(
        document, "insecure-registries", insecure_host, path
    )
    _atomic_write(path, json.dumps(document, indent=2) + "\n")


def _prepend(document: dict[str, object], key: str, value: str, path: Path) -> list[str]:
    current = document.get(key, [])
    if not isinstance(current, list):
        raise ValueError(f"engine config {path}: {key} must be a list")
    return [value, *(item for item in current if item != value)]


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _running_registry(state_dir: Path, port: int) -> LocalRegistry | None:
    registry = _recorded_registry(state_dir)
    if registry is None or not registry.is_running():
        return None
    if registry.port == port and registry_answers(registry.url):
        return registry
    registry.stop()
    return None


def _recorded_registry(state_dir: Path) -> LocalRegistry | None:
    try:
        record = json.loads((state_dir / STATE_FILE).read_text())
        return LocalRegistry.attach(state_dir, int(record["pid"]), int(record["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(state_dir: Path, registry: LocalRegistry) -> None:
    record = {"pid": registry.pid, "port": registry.port, "url": registry.url}
    _atomic_write(state_dir / STATE_FILE, json.dumps(record) + "\n")
    _atomic_write(state_dir / PID_FILE, f"{registry.pid}\n")
