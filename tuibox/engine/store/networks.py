"""Network and endpoint records on disk: `networks/<id>.json` and `endpoints/<id>.json`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tuibox.engine.domain.network import EndpointRecord, NetworkRecord
from tuibox.engine.store.atomic import write_json_atomic

log = logging.getLogger(__name__)
R = TypeVar("R")

NETWORKS_DIR = "networks"
ENDPOINTS_DIR = "endpoints"


class NetworkStore:
    """Keeps one JSON file per network and per endpoint, each replaced atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.networks_dir = root / NETWORKS_DIR
        self.endpoints_dir = root / ENDPOINTS_DIR
        for directory in (self.networks_dir, self.endpoints_dir):
            directory.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)

    def load_networks(self) -> list[NetworkRecord]:
        """Every readable network record; an unreadable one is logged and skipped."""
        return _load(self.networks_dir, NetworkRecord.from_json)

    def load_endpoints(self) -> list[EndpointRecord]:
        return _load(self.endpoints_dir, EndpointRecord.from_json)

    def save_network(self, record: NetworkRecord) -> None:
        write_json_atomic(self.networks_dir / f"{record.id}.json", record.to_json())

    def save_endpoint(self, record: EndpointRecord) -> None:
        """Not fsynced: written on every container start, and the rename alone survives an
        engine crash (a power loss at worst forgets an endpoint the kernel forgot too)."""
        write_json_atomic(self.endpoints_dir / f"{record.id}.json", record.to_json(), durable=False)

    def delete_network(self, network_id: str) -> None:
        (self.networks_dir / f"{network_id}.json").unlink(missing_ok=True)

    def delete_endpoint(self, endpoint_id: str) -> None:
        (self.endpoints_dir / f"{endpoint_id}.json").unlink(missing_ok=True)


def _load(directory: Path, parse: Callable[[dict[str, Any]], R]) -> list[R]:
    found: list[R] = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            found.append(parse(data))
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.error("skipping unreadable network record %s: %s", path, err)
    return found
