"""Container verbs, composed: one ContainerContext shared by verb groups that never inherit.

- context: records, locks, paths, owned tasks, events
- creation, lifecycle (start, stop, kill, restart, pause), updates (limits, rename),
  removal (rm, prune), exits, restarts (restart policies), recovery: the verbs
- queries (ps, inspect) and streams (wait, logs, attach): the reads
- rules/ (fields honoured, create-body checks, limits, users, failed starts) and views: pure rules
  and Docker JSON views
"""

from __future__ import annotations

from dataclasses import dataclass

from tuibox.engine.services.containers.archive import ContainerArchive
from tuibox.engine.services.containers.commit import ContainerCommit
from tuibox.engine.services.containers.connections import NetworkConnections
from tuibox.engine.services.containers.context import ContainerContext
from tuibox.engine.services.containers.creation import ContainerCreation
from tuibox.engine.services.containers.execs import ContainerExecs
from tuibox.engine.services.containers.export import ContainerExport
from tuibox.engine.services.containers.health import HealthMonitor
from tuibox.engine.services.containers.lifecycle import ContainerLifecycle
from tuibox.engine.services.containers.networking import ContainerNetworking
from tuibox.engine.services.containers.queries import ContainerQueries
from tuibox.engine.services.containers.recovery import ContainerRecovery
from tuibox.engine.services.containers.removal import ContainerRemoval
from tuibox.engine.services.containers.restarts import RestartPolicies
from tuibox.engine.services.containers.streams import ContainerStreams
from tuibox.engine.services.containers.updates import ContainerUpdates

__all__ = ["ContainerService"]


@dataclass(frozen=True)
class ContainerService:
    """The container verb groups of one engine, as the routes and the start-up see them."""

    context: ContainerContext
    creation: ContainerCreation
    lifecycle: ContainerLifecycle
    removal: ContainerRemoval
    queries: ContainerQueries
    streams: ContainerStreams
    recovery: ContainerRecovery
    updates: ContainerUpdates
    restarts: RestartPolicies
    execs: ContainerExecs
    health: HealthMonitor
    export: ContainerExport
    archive: ContainerArchive
    commit: ContainerCommit
    networking: ContainerNetworking | None = None
    connections: NetworkConnections | None = None
    """docker network connect / disconnect (needs networking)."""

    async def start_up(self) -> None:
        """At engine start: find the containers again, bring their networks in line, then
        start those whose policy says."""
        await self.recovery.recover()
        if self.networking is not None:
            await self.networking.recover(list(self.context.records.values()))
        await self.restarts.start_at_engine_start()
        self.health.start()
