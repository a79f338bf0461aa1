"""Provides ContainerQueries: `docker ps` with filters, `docker inspect`, TTY lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tuibox.engine.domain.container import Status
from tuibox.engine.services.containers import views
from tuibox.engine.services.containers.context import ContainerContext


class ContainerQueries:
    """Answers `docker ps` and `docker inspect` from the container records."""

    def __init__(self, context: ContainerContext) -> None:
        self.context = context

    def list(
        self, *, all_containers: bool, limit: int | None, filters: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Newest first; without `all` (or a limit, as `ps -l`) only running ones."""
        views.validate_filters(filters)
        records = sorted(self.context.records.values(), key=lambda r: r.created, reverse=True)
        if not all_containers and not limit and not filters.get("status"):
            records = [r for r in records if r.state.status is Status.RUNNING]
        selected = [r for r in records if views.matches(r, filters)]
        if limit is not None and limit > 0:
            selected = selected[:limit]
        now = datetime.now(UTC)
        return [views.summary(r, now) for r in selected]

    def inspect(self, given: str) -> dict[str, Any]:
        record = self.context.lookup(given)
        return views.inspect(record, self.context.paths(record.id))

    def has_tty(self, given: str) -> bool:
        return bool(self.context.lookup(given).config.get("Tty"))
