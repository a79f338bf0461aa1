"""A throwaway network namespace for a bench's engine, so its bridges, veths and iptables rules
never reach the host and go when the namespace is deleted; the registry on the host's
loopback is relayed in. The same namespace the engine tests give each engine
(tests/engine/engine_netns.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.engine.engine_netns import EngineNamespace, engine_namespace


@contextlib.contextmanager
def bench_namespace(registry_url: str | None) -> Iterator[EngineNamespace]:
    """A fresh namespace with loopback up and `registry_url`'s port (if given) relayed to the
    host."""
    with engine_namespace(registry_url) as namespace:
        yield namespace
