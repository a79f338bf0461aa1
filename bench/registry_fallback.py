"""Benchmarks what the HTTPS attempt costs an insecure (loopback) plain-HTTP registry: the
engine's ping of /v2/ over HTTPS-unchecked-then-HTTP beside HTTP alone, rounds interleaved.

Usage (from the repository root; needs docker-registry):
    .venv/bin/python bench/registry_fallback.py [--rounds 50]
One RegistryClient serves all rounds, as one serves the engine (its TLS contexts are made
once); the plain-HTTP connection is kept alive in both variants alike, so the difference is
the refused handshake a pull or push pays each time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tuibox.demo.registry import LocalRegistry
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import Endpoint, registry_endpoints


async def ping_ms(client: RegistryClient, endpoints: list[Endpoint]) -> float:
    started = time.perf_counter()
    chosen = await client.first_answering(endpoints)
    elapsed = (time.perf_counter() - started) * 1000
    assert chosen.base_url.startswith("http://"), chosen
    return elapsed


async def measure(host: str, rounds: int) -> tuple[list[float], list[float]]:
    fallback, plain = [], []
    client = RegistryClient()
    try:
        await ping_ms(client, registry_endpoints(host, ()))  # contexts and the connection
        for _ in range(rounds):
            fallback.append(await ping_ms(client, registry_endpoints(host, ())))
            plain.append(await ping_ms(client, [Endpoint(f"http://{host}")]))
    finally:
        await client.aclose()
    return fallback, plain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tuibox-bench-") as state, \
            LocalRegistry(Path(state)) as registry:  # fmt: skip
        fallback, plain = asyncio.run(measure(registry.host, args.rounds))
    for name, values in (("https-then-http", fallback), ("http only", plain)):
        print(f"{name:>16}: median {statistics.median(values):6.2f} ms, "
              f"max {max(values):6.2f} ms over {len(values)} rounds")  # fmt: skip
    extra = statistics.median(fallback) - statistics.median(plain)
    print(f"the refused TLS handshake adds {extra:.2f} ms per pull or push")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
