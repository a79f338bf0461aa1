"""rmi: moby's untag-then-delete rules, conflicts checked before anything changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tuibox.engine.domain.errors import Conflict, InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.services.images.retention import Keep, Retention, blobs_of
from tuibox.engine.store.images import ImageStore

_ID_LIKE_RE = re.compile(r"(?:sha256:)?[a-f0-9]{1,64}", re.ASCII)


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


Users = list[tuple[str, bool]]


@dataclass(frozen=True)
class RemoveRequest:
    """One rmi: the name as given, its image, the containers using it and what to keep.

    `users` ([(container id, running)]) and `keep` are taken on the event loop thread.
    """

    name: str
    record: ImageRecord
    users: Users
    force: bool
    noprune: bool
    keep: Keep


class ImageRemover:
    """Removes references and images; runs in a worker thread under the service's lock."""

    def __init__(self, images: ImageStore, retention: Retention) -> None:
        self.images = images
        self.retention = retention

    def remove(self, request: RemoveRequest) -> list[dict[str, str]]:
        """Untag the name (or all references when it is an ID) and delete if none remain.

        Layers still used by another image, an in-flight pull or a container stay.

        Raises:
            Conflict: with moby's texts, before any change is made.
        """
        name, record, users, force = request.name, request.record, request.users, request.force
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
        keep = request.keep
        if users:  # their containers hold these layers (recorded at create)
            keep = Keep(keep.chains | frozenset(record.chain_ids), keep.blobs)
        return results + self._delete(record, keep, prune=not request.noprune)

    def _names_by_id(self, name: str, record: ImageRecord, refs: list[Reference]) -> bool:
        if not _ID_LIKE_RE.fullmatch(name):
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

    def _delete(self, record: ImageRecord, keep: Keep, *, prune: bool) -> list[dict[str, str]]:
        self.images.delete(record.id)
        results = [{"Deleted": record.id}]
        if not prune:
            return results
        chains = list(reversed(record.chain_ids))
        removed = self.retention.prune(chains, sorted(blobs_of(record)), keep)
        return results + [{"Deleted": chain_id} for chain_id in removed]


def _refs_to_untag(target: Reference, refs: list[Reference]) -> list[Reference]:
    """The named reference, plus the repository's digest refs when no tag of it remains."""
    doomed = [r for r in refs if str(r) == str(target)]
    same_repo = [r for r in refs if r.name == target.name and r not in doomed]
    if not any(r.digest is None for r in same_repo):
        doomed += [r for r in same_repo if r.digest is not None]
    return doomed
