"""`docker network ls --filter` and `network prune --filter`, as dockerd matches them (pure)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.domain.network import NetworkRecord
from tuibox.engine.domain.time_filter import parse_time_filter

LIST_FILTERS = frozenset({"dangling", "driver", "id", "label", "name", "scope", "type"})
PRUNE_FILTERS = frozenset({"until", "label", "label!"})
TYPES = ("custom", "builtin")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


@dataclass(frozen=True)
class ListFilters:
    """Checked list filters: values of one key OR, keys AND."""

    values: dict[str, list[str]]
    names: tuple[Any, ...]
    ids: tuple[Any, ...]
    dangling: tuple[bool, ...]

    def matches(self, network: NetworkRecord, in_use: Callable[[str], bool]) -> bool:
        """Whether `network` passes; `in_use(id)` says whether containers are on it."""
        if self.names and not any(p.search(network.name) for p in self.names):
            return False
        if self.ids and not any(p.search(network.id) for p in self.ids):
            return False
        # dangling=true: not predefined and no endpoint; false: the others (dockerd's rule)
        dangling = not network.predefined and not in_use(network.id)
        if any(wanted != dangling for wanted in self.dangling):
            return False
        tests: dict[str, Callable[[str], bool]] = {
            "driver": lambda v: network.driver == v,
            "scope": lambda v: v == "local",
            "type": lambda v: (v == "builtin") == network.predefined,
            "label": lambda v: label_matches(network.labels, v),
        }
        for key, test in tests.items():
            values = self.values.get(key, [])
            if key == "label":
                if not all(test(v) for v in values):
                    return False
            elif values and not any(test(v) for v in values):
                return False
        return True


def list_filters(filters: dict[str, list[str]]) -> ListFilters:
    """Raises InvalidArgument for an unknown filter or value, with dockerd's words."""
    for key in filters:
        if key not in LIST_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    for kind in filters.get("type", []):
        if kind not in TYPES:
            raise InvalidArgument(f"invalid filter: 'type'='{kind}'")
    return ListFilters(
        values=filters,
        names=tuple(_pattern("name", p) for p in filters.get("name", [])),
        ids=tuple(_pattern("id", p) for p in filters.get("id", [])),
        dangling=tuple(_boolean("dangling", v) for v in filters.get("dangling", [])),
    )


def _pattern(key: str, text: str) -> Any:
    try:
        return re2.compile(text, _OPTIONS)
    except re2.error as err:
        reason = err.args[0].decode(errors="replace") if err.args and isinstance(
            err.args[0], bytes) else str(err)  # fmt: skip
        raise InvalidArgument(f"invalid {key} filter {text[:64]!r}: {reason}") from None


def _boolean(key: str, value: str) -> bool:
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise InvalidArgument(f"invalid filter '{key}={value}': expected true or false")


@dataclass(frozen=True)
class PruneFilters:
    untils: tuple[float, ...]
    labels: tuple[str, ...]
    not_labels: tuple[str, ...]

    def matches(self, network: NetworkRecord) -> bool:
        created = (timestamps.parse_ns(network.created) or 0) / 1e9
        if any(created >= until for until in self.untils):
            return False
        if not all(label_matches(network.labels, w) for w in self.labels):
            return False
        return not any(label_matches(network.labels, w) for w in self.not_labels)


def prune_filters(filters: dict[str, list[str]]) -> PruneFilters:
    """Raises InvalidArgument for an unknown filter or a bad time."""
    for key in filters:
        if key not in PRUNE_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    now = time.time()
    return PruneFilters(
        untils=tuple(parse_time_filter("until", v, now) for v in filters.get("until", [])),
        labels=tuple(filters.get("label", [])),
        not_labels=tuple(filters.get("label!", [])),
    )
