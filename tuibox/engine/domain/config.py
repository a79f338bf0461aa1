"""Engine configuration: paths and daemon.json-style keys, with the defaults of DESIGN.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument

API_VERSION = "1.44"
MIN_API_VERSION = "1.24"
DEFAULT_SOCKET = Path("/run/tuibox/engine.sock")
DEFAULT_DATA_ROOT = Path("/var/lib/tuibox")
DEFAULT_EXEC_ROOT = Path("/run/tuibox")
DEFAULT_CONFIG_FILE = Path("/etc/tuibox/engine.json")


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know at start; every path is overridable for tests."""

    socket: Path = DEFAULT_SOCKET
    data_root: Path = DEFAULT_DATA_ROOT
    exec_root: Path = DEFAULT_EXEC_ROOT
    registry_mirrors: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    log_level: str = "info"
    cgroup_parent: str = "/tuibox"


def load_config(
    config_file: Path | None,
    *,
    socket: Path | None = None,
    data_root: Path | None = None,
    exec_root: Path | None = None,
) -> EngineConfig:
    """Read the JSON config file (missing file = defaults) and apply command-line overrides.

    Raises:
        InvalidArgument: the file is not a JSON object or a key has the wrong type.
    """
    raw: dict[str, object] = {}
    path = config_file if config_file is not None else DEFAULT_CONFIG_FILE
    if path.exists():
        try:
            text = path.read_text()
            loaded = json.loads(text) if text.strip() else {}
        except (OSError, ValueError) as err:
            raise InvalidArgument(f"cannot read engine config {path}: {err}") from err
        if not isinstance(loaded, dict):
            raise InvalidArgument(f"engine config {path} must hold a JSON object")
        raw = loaded
    elif config_file is not None:
        raise InvalidArgument(f"engine config {path} does not exist")
    mirrors = _string_list(raw, "registry-mirrors", path)
    insecure = _string_list(raw, "insecure-registries", path)
    file_data_root = raw.get("data-root")
    if file_data_root is not None and not isinstance(file_data_root, str):
        raise InvalidArgument(f"engine config {path}: data-root must be a string")
    log_level = raw.get("log-level", "info")
    if not isinstance(log_level, str):
        raise InvalidArgument(f"engine config {path}: log-level must be a string")
    cgroup_parent = raw.get("cgroup-parent", "/tuibox")
    if not isinstance(cgroup_parent, str) or not cgroup_parent.strip("/"):
        raise InvalidArgument(f"engine config {path}: cgroup-parent must be a path like /tuibox")
    return EngineConfig(
        socket=socket or DEFAULT_SOCKET,
        data_root=data_root or (Path(file_data_root) if file_data_root else DEFAULT_DATA_ROOT),
        exec_root=exec_root or DEFAULT_EXEC_ROOT,
        registry_mirrors=tuple(m.rstrip("/") for m in mirrors),
        insecure_registries=tuple(insecure),
        log_level=log_level,
        cgroup_parent="/" + cgroup_parent.strip("/"),
    )


def _string_list(raw: dict[str, object], key: str, path: Path) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"engine config {path}: {key} must be a list of strings")
    return list(value)
