"""Read-only container queries: list with filters, inspect, and TTY lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tuibox.engine.domain.container import Status
from tuibox.engine.services import container_views
from tuibox.engine.services.containers import ContainerService


class ContainerQueries:
    """Answers `docker ps` and `docker inspect` from the container service's records."""

    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    def list(
        self, *, all_containers: bool, limit: int | None, filters: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Newest first; without `all` (or a limit, as `ps -l`) only running ones."""
        container_views.validate_filters(filters)
        records = sorted(self.containers.records.values(), key=lambda r: r.created, reverse=True)
        if not all_containers and not limit and not filters.get("status"):
            records = [r for r in records if r.state.status is Status.RUNNING]
        selected = [r for r in records if container_views.matches(r, filters)]
        if limit is not None and limit > 0:
            selected = selected[:limit]
        now = datetime.now(UTC)
        return [container_views.summary(r, now) for r in selected]

    def inspect(self, given: str) -> dict[str, Any]:
        record = self.containers.lookup(given)
        return container_views.inspect(record, self.containers.paths(record.id))

    def has_tty(self, given: str) -> bool:
        return bool(self.containers.lookup(given).config.get("Tty"))
