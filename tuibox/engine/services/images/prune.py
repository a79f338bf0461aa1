"""docker image prune's selection: dangling (untagged) or, with dangling=false, all unused
images, narrowed by `until` and `label` / `label!` (dockerd's filters; others refused)."""

from __future__ import annotations

from dataclasses import dataclass

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.domain.time_filter import parse_time_filter
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.services.images.removal import ImageRemover, RemoveRequest
from tuibox.engine.services.images.retention import Keep

PRUNE_FILTERS = frozenset({"dangling", "until", "label", "label!"})
_TRUE, _FALSE = ("true", "1"), ("false", "0")


@dataclass(frozen=True)
class PruneSelection:
    """Which images a prune takes, before the "no container uses it" rule."""

    dangling_only: bool = True
    untils: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    not_labels: tuple[str, ...] = ()

    def takes(self, record: ImageRecord) -> bool:
        if self.dangling_only and record.repo_tags:
            return False
        if any(record.created >= until for until in self.untils):
            return False
        labels = record.container_config.get("Labels") or {}
        if not all(label_matches(labels, wanted) for wanted in self.labels):
            return False
        return not any(label_matches(labels, unwanted) for unwanted in self.not_labels)


def prune_selection(filters: dict[str, list[str]], now: float) -> PruneSelection:
    """Parse POST /images/prune's filters.

    Raises:
        InvalidArgument: dockerd's "invalid filter 'x'" for an unknown filter or a
            dangling value that is not a boolean; a bad `until` time.
    """
    for key in filters:
        if key not in PRUNE_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    dangling = True
    for value in filters.get("dangling", []):
        if value.lower() not in (*_TRUE, *_FALSE):
            raise InvalidArgument(f"invalid filter 'dangling={value}'")
        dangling = value.lower() in _TRUE
    return PruneSelection(
        dangling_only=dangling,
        untils=tuple(parse_time_filter("until", v, now) for v in filters.get("until", [])),
        labels=tuple(filters.get("label", [])),
        not_labels=tuple(filters.get("label!", [])),
    )


def remove_all(
    remover: ImageRemover, layers: LayerStore, records: list[ImageRecord], keep: Keep
) -> tuple[list[tuple[str, dict[str, str]]], int]:
    """Untag and delete each image (in a worker thread, under the store lock).

    Returns:
        rmi's Untagged/Deleted entries, each with the ID of the image it came from, and
        the unpacked bytes of the layers removed (a layer another image still uses stays,
        and counts only when it goes).
    """
    results: list[tuple[str, dict[str, str]]] = []
    reclaimed = 0
    for record in records:
        sizes = {c: layers.info(c).size for c in record.chain_ids if layers.has(c)}
        request = RemoveRequest(record.id, record, [], True, False, keep)
        for result in remover.remove(request):
            reclaimed += sizes.get(result.get("Deleted", ""), 0)
            results.append((record.id, result))
    return results, reclaimed
