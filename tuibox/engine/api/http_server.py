"""Serve an aiohttp app on a Unix socket with header/idle timeouts and a connection bound."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tuibox.engine.api.connections import ConnectionLimits, LimitedServer

__all__ = ["ConnectionLimits", "ServedApp", "connection_limits", "nofile_soft_limit",
           "start_unix_site"]  # fmt: skip

MAX_CONNECTIONS_CAP = 4096
MIN_CONNECTIONS = 64
HEADER_TIMEOUT = 10.0
KEEPALIVE_TIMEOUT = 30.0


def connection_limits(nofile_soft_limit: int) -> ConnectionLimits:
    """Bound connections to a quarter of the file limit (64..4096).

    The rest of the descriptors are for conmon pipes, log files, registry sockets and
    image layers; a soft limit <= 0 means unlimited.
    """
    quarter = nofile_soft_limit // 4 if nofile_soft_limit > 0 else MAX_CONNECTIONS_CAP
    return ConnectionLimits(
        max_connections=max(MIN_CONNECTIONS, min(MAX_CONNECTIONS_CAP, quarter)),
        header_timeout=HEADER_TIMEOUT,
        keepalive_timeout=KEEPALIVE_TIMEOUT,
    )


def nofile_soft_limit() -> int:
    """This process's soft RLIMIT_NOFILE (-1 when unlimited)."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class ServedApp:
    """A running app: the runner, the site, and the server with its counters."""

    runner: web.AppRunner
    site: web.UnixSite
    server: LimitedServer

    async def stop(self) -> None:
        """Stop listening, run the app's shutdown and cleanup hooks."""
        await self.runner.cleanup()


class LimitedAppRunner(web.AppRunner):
    """AppRunner whose server is a LimitedServer."""

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        # aiohttp's own idle close stays on as a backstop with the same timeout.
        kwargs.setdefault("keepalive_timeout", limits.keepalive_timeout)
        super().__init__(app, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        return LimitedServer(await super()._make_server(), self.limits)


async def start_unix_site(
    app: web.Application,
    path: str | os.PathLike[str],
    limits: ConnectionLimits,
    *,
    backlog: int | None = None,
    **runner_kwargs: Any,
) -> ServedApp:
    """Start app on a Unix socket; runner_kwargs go to web.AppRunner.

    asyncio accepts up to backlog connections per wakeup, so backlog stays well below
    max_connections: a connection must get its first read before the rest of its batch
    can evict it. A long listen queue keeps clients' non-blocking connects (the docker
    CLI's) from failing with EAGAIN while a burst is being accepted.
    """
    if backlog is None:
        backlog = min(1024, max(16, limits.max_connections // 4))
    runner = LimitedAppRunner(app, limits, **runner_kwargs)
    await runner.setup()
    server = runner.server
    assert isinstance(server, LimitedServer)
    site = web.UnixSite(runner, os.fspath(path), backlog=backlog)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return ServedApp(runner, site, server)
