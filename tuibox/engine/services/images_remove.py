"""rmi: moby's untag-then-delete rules, conflicts checked before anything changes."""

from __future__ import annotations

import re
from collections.abc import Callable

from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

_ID_LIKE_RE = re.compile(r"^(?:sha256:)?[a-f0-9]{1,64}$")


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


class ImageRemover:
    """Removes references and images; runs in a worker thread under the service's lock."""

    def __init__(
        self,
        content: ContentStore,
        images: ImageStore,
        layers: LayerStore,
        usage: Callable[[str], list[tuple[str, bool]]],
    ) -> None:
        self.content = content
        self.images = images
        self.layers = layers
        self.usage = usage

    def remove(
        self, name: str, record: ImageRecord, force: bool, noprune: bool
    ) -> list[dict[str, str]]:
        """Untag `name` (or all references when `name` is an ID) and delete if none remain.

        Raises:
            Conflict: with moby's texts, before any change is made.
        """
        users = self.usage(record.id)
        refs = self.images.refs_of(record.id)
        by_id = self._names_by_id(name, record, refs)
        if by_id:
            doomed = refs
            if not force and len({r.name for r in refs}) > 1:
                raise Conflict(f"conflict: unable to delete {record.short_id} (must be forced) - "
                               "image is referenced in multiple repositories")  # fmt: skip
        else:
            doomed = _refs_to_untag(parse_reference(name), refs)
            if len(doomed) < len(refs):
                return [self._untag(r) for r in doomed]
            if users and not force:
                raise Conflict(
                    f'conflict: unable to remove repository reference "{name}" (must force) - '
                    f"container {_short(users[0][0])} is using its referenced image "
                    f"{record.short_id}"
                )
        self._check_delete_conflicts(record, users, force)
        results = [self._untag(r) for r in doomed]
        return results + self._delete(record, prune=not noprune and not users)

    def _names_by_id(self, name: str, record: ImageRecord, refs: list[Reference]) -> bool:
        if not _ID_LIKE_RE.match(name):
            return False
        if not record.id.removeprefix("sha256:").startswith(name.removeprefix("sha256:")):
            return False
        try:
            as_ref = parse_reference(name)
        except InvalidArgument:
            return True
        return all(str(r) != str(as_ref) for r in refs)

    @staticmethod
    def _check_delete_conflicts(
        record: ImageRecord, users: list[tuple[str, bool]], force: bool
    ) -> None:
        running = [cid for cid, is_running in users if is_running]
        if running:
            raise Conflict(
                f"conflict: unable to delete {record.short_id} (cannot be forced) - "
                f"image is being used by running container {_short(running[0])}"
            )
        if users and not force:
            raise Conflict(
                f"conflict: unable to delete {record.short_id} (must be forced) - "
                f"image is being used by stopped container {_short(users[0][0])}"
            )

    def _untag(self, reference: Reference) -> dict[str, str]:
        self.images.remove_ref(reference)
        return {"Untagged": reference.familiar}

    def _delete(self, record: ImageRecord, *, prune: bool) -> list[dict[str, str]]:
        self.images.delete(record.id)
        results = [{"Deleted": record.id}]
        others = self.images.all()
        if not prune:
            return results
        kept_chains = {c for r in others for c in r.chain_ids}
        for chain_id in reversed(record.chain_ids):
            if chain_id not in kept_chains and self.layers.has(chain_id):
                self.layers.remove(chain_id)
                results.append({"Deleted": chain_id})
        kept_blobs = {b for r in others for b in _blobs_of(r)}
        for blob in _blobs_of(record):
            if blob not in kept_blobs:
                self.content.delete(blob)
        return results


def _blobs_of(record: ImageRecord) -> set[str]:
    blobs = {record.id, *record.layer_digests}
    if record.manifest_digest:
        blobs.add(record.manifest_digest)
    return blobs


def _refs_to_untag(target: Reference, refs: list[Reference]) -> list[Reference]:
    """The named reference, plus the repository's digest refs when no tag of it remains."""
    doomed = [r for r in refs if str(r) == str(target)]
    same_repo = [r for r in refs if r.name == target.name and r not in doomed]
    if not any(r.digest is None for r in same_repo):
        doomed += [r for r in same_repo if r.digest is not None]
    return doomed
