"""What the image stores must keep: records, in-flight pull leases and container layers.

Leases are counted chain IDs and blob digests held by pulls and imports still running;
they are taken and released on the event loop thread under the service's store lock, the
same lock every pruning step holds. Pruning itself runs in a worker thread and only gets
snapshots (`Keep`) computed on the loop thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

log = logging.getLogger(__name__)

ChainLookup = Callable[[], set[str]]


def blobs_of(record: ImageRecord) -> set[str]:
    """Blob digests an image record needs: its config, manifest(s) and layer blobs."""
    blobs = {record.id, *record.layer_digests}
    if record.manifest_digest:
        blobs.add(record.manifest_digest)
    platform_manifest = record.extra.get("platform_manifest")
    if isinstance(platform_manifest, str):
        blobs.add(platform_manifest)
    return blobs


@dataclass(frozen=True)
class Keep:
    """A snapshot of what must survive a prune, besides the image records themselves."""

    chains: frozenset[str]
    blobs: frozenset[str]


@dataclass(frozen=True)
class Collected:
    """What a garbage collection removed."""

    blobs: int
    layers: int


class Retention:
    """Leases plus the container service's chain IDs; decides what pruning may remove.

    Lifecycle: one per ImageService; `set_container_chains` once the container service
    exists. `lease`/`release`/`keep` are called on the loop thread under the store lock;
    `prune` and `collect` run in a worker thread with a `Keep` taken under that lock.
    """

    def __init__(self, content: ContentStore, images: ImageStore, layers: LayerStore) -> None:
        self.content = content
        self.images = images
        self.layers = layers
        self._leases: Counter[str] = Counter()
        self._container_chains: ChainLookup = set

    def set_container_chains(self, lookup: ChainLookup) -> None:
        self._container_chains = lookup

    def lease(self, items: Iterable[str]) -> list[str]:
        """Hold chain IDs or blob digests against pruning; returns what to `release`."""
        held = list(items)
        self._leases.update(held)
        return held

    def release(self, held: Iterable[str]) -> None:
        self._leases.subtract(held)
        self._leases = +self._leases  # drop the zero counts

    def keep(self) -> Keep:
        """Leased items and container chains, as of now."""
        leased = frozenset(self._leases)
        return Keep(leased | frozenset(self._container_chains()), leased)

    def prune(self, chains: Iterable[str], blobs: Iterable[str], keep: Keep) -> list[str]:
        """Remove the given layers and blobs unless a record, a lease or a container needs them.

        Returns:
            The chain IDs removed, in the order given.
        """
        records = self.images.all()
        kept_chains = keep.chains | {c for r in records for c in r.chain_ids}
        kept_blobs = keep.blobs | {b for r in records for b in blobs_of(r)}
        removed = []
        for chain_id in chains:
            if chain_id not in kept_chains and self.layers.layer_path(chain_id).exists():
                self.layers.remove(chain_id)
                removed.append(chain_id)
        for digest in blobs:
            if digest not in kept_blobs:
                self.content.delete(digest)
        return removed

    def collect(self, keep: Keep) -> Collected:
        """Remove every blob and layer no record, lease or container refers to."""
        blobs = self.content.digests()
        chains = self.layers.chain_ids()
        records = self.images.all()
        kept_blobs = keep.blobs | {b for r in records for b in blobs_of(r)}
        kept_chains = keep.chains | {c for r in records for c in r.chain_ids}
        doomed_blobs = [d for d in blobs if d not in kept_blobs]
        doomed_chains = [c for c in chains if c not in kept_chains]
        self.prune(doomed_chains, doomed_blobs, keep)
        if doomed_blobs or doomed_chains:
            log.info("garbage collection removed %d blobs and %d layers",
                     len(doomed_blobs), len(doomed_chains))  # fmt: skip
        return Collected(blobs=len(doomed_blobs), layers=len(doomed_chains))
