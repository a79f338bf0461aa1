"""What the engine's networking holds in its namespace and data root, counted for leak checks,
and small helpers to reach published ports from inside that namespace."""

from __future__ import annotations

import http.client
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.engine.conftest import EngineProcess
from tests.engine.netns_harness import in_netns

ENDPOINTS_DIR = Path("network") / "endpoints"


@dataclass(frozen=True)
class NetInventory:
    """veths, IPv4 addresses, TUIBOX iptables lines and endpoint records (IPAM leases)."""

    veths: tuple[str, ...]
    addresses: tuple[str, ...]
    rules: tuple[str, ...]
    leases: tuple[str, ...]


def in_namespace(engine: EngineProcess, *argv: str) -> str:
    """`argv`'s stdout, run in the engine's network namespace."""
    assert engine.namespace is not None
    done = subprocess.run(engine.namespace.command(*argv), capture_output=True, text=True,
                          check=True, timeout=30)  # fmt: skip
    return done.stdout


def link_names(engine: EngineProcess) -> list[str]:
    return [line.split(": ")[1].split("@")[0]
            for line in in_namespace(engine, "ip", "-o", "link").splitlines()]  # fmt: skip


def leases(engine: EngineProcess) -> tuple[str, ...]:
    """The endpoint records on disk: each holds one address lease."""
    found = []
    for path in sorted((engine.data_root / ENDPOINTS_DIR).glob("*.json")):
        record = json.loads(path.read_text())
        found.append(f"{record.get('network_id', '')[:12]} {record.get('address', '')}")
    return tuple(found)


def inventory(engine: EngineProcess) -> NetInventory:
    veths = in_namespace(engine, "ip", "-o", "link", "show", "type", "veth").splitlines()
    addresses = in_namespace(engine, "ip", "-o", "-4", "addr").splitlines()
    rules = [line for line in in_namespace(engine, "iptables-save").splitlines()
             if "TUIBOX" in line and not line.startswith("#")]  # fmt: skip
    return NetInventory(
        veths=tuple(sorted(line.split(": ")[1].split("@")[0] for line in veths)),
        addresses=tuple(sorted(" ".join(line.split()[1:4]) for line in addresses)),
        rules=tuple(sorted(rules)),
        leases=leases(engine),
    )


def http_get(netns: str, url: str, timeout: float = 5) -> str:
    """The body of a GET of `url` from the network namespace at `netns`; "" on failure
    (the host's static busybox wget crashes in its resolver, so Python asks)."""

    def get() -> str:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        try:
            connection.request("GET", parts.path or "/")
            response = connection.getresponse()
            return response.read().decode() if response.status == 200 else ""
        except OSError:
            return ""
        finally:
            connection.close()

    return in_netns(netns, get)


def wget(engine: EngineProcess, url: str, timeout: float = 5) -> str:
    """GET `url` from the engine's namespace (the "host"); "" on failure."""
    assert engine.namespace is not None
    return http_get(engine.namespace.path, url, timeout)
