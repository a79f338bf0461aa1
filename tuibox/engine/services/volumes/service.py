"""Provides VolumeService: Docker's /volumes verbs over the local volume store."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound
from tuibox.engine.domain.labels import label_matches
from tuibox.engine.domain.mounts import VOLUME_NAME, VolumeRecord
from tuibox.engine.events import Event, EventBus
from tuibox.engine.store.volumes import VolumeStore

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
"""The label Docker (23 and later) puts on anonymous volumes; prune uses it."""
LIST_FILTERS = frozenset({"dangling", "name", "label", "driver"})
PRUNE_FILTERS = frozenset({"all", "label", "label!"})
MAX_LABELS_BYTES = 256 * 1024
CREATE_FIELDS = frozenset({"Name", "Driver", "DriverOpts", "Labels", "ClusterVolumeSpec"})
"""What a volume create body may hold (the last two are refused when they carry a value)."""

UsersLookup = Callable[[str], list[str]]
"""The IDs of the containers that mount a volume."""


class VolumeService:
    """The engine's local volumes: records in memory, files in the store."""

    def __init__(self, store: VolumeStore, events: EventBus) -> None:
        self.store = store
        self.events = events
        self.records: dict[str, VolumeRecord] = {r.name: r for r in store.load_all()}
        self._users: UsersLookup = lambda _name: []

    def set_usage_lookup(self, users: UsersLookup) -> None:
        """How to find the containers using a volume (the container side provides it)."""
        self._users = users

    # --- create ---------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /volumes/create: a new local volume, or the existing one of that name.

        Raises:
            InvalidArgument: a bad name, another driver, driver options, bad labels.
        """
        for key, value in body.items():
            if key not in CREATE_FIELDS and value not in (None, "", {}, []):
                raise InvalidArgument(f"the volume field {key} is not supported by the tuibox "
                                      "engine; leave it out")  # fmt: skip
        name = body.get("Name") or ""
        driver = body.get("Driver") or "local"
        labels = body.get("Labels") or {}
        if not isinstance(name, str) or not isinstance(driver, str):
            raise InvalidArgument("Name and Driver must be strings")
        if driver != "local":
            raise InvalidArgument(f"volume driver {driver!r} is not supported by the tuibox "
                                  "engine: only local volumes are")  # fmt: skip
        if body.get("DriverOpts"):
            raise InvalidArgument("--opt (DriverOpts) is not supported by the tuibox engine yet")
        if body.get("ClusterVolumeSpec"):
            raise InvalidArgument("cluster volumes are not supported by the tuibox engine")
        _check_labels(labels)
        record = self.ensure(name, labels=labels)
        return self.view(record)

    def ensure(self, name: str = "", *, labels: dict[str, str] | None = None,
               anonymous: bool = False) -> VolumeRecord:  # fmt: skip
        """The volume of that name, created if missing; an anonymous one without a name."""
        if not name:
            name = secrets.token_hex(32)
            anonymous = True
        elif not VOLUME_NAME.match(name) or len(name) > 255:
            raise InvalidArgument(
                f'create {name[:64]}: "{name[:64]}" includes invalid characters for a local '
                'volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended '
                "to pass a host directory, use absolute path"
            )
        existing = self.records.get(name)
        if existing is not None:
            return existing
        given = dict(labels or {})
        if anonymous:
            given[ANONYMOUS_LABEL] = ""
        record = VolumeRecord(name, timestamps.now(), given, anonymous)
        self.store.save(record)
        self.records[name] = record
        self._publish("create", record)
        return record

    # --- reads ----------------------------------------------------------------------

    def get(self, name: str) -> VolumeRecord:
        """Raises NotFound with Docker's words."""
        record = self.records.get(name)
        if record is None:
            raise NotFound(f"get {name}: no such volume")
        return record

    def inspect(self, name: str) -> dict[str, Any]:
        return self.view(self.get(name))

    def list_volumes(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        """GET /volumes: {"Volumes": [...], "Warnings": []}, filtered as Docker filters.

        Raises:
            InvalidArgument: an unknown filter or a dangling value that is not a boolean.
        """
        for key in filters:
            if key not in LIST_FILTERS:
                raise InvalidArgument(f"invalid filter '{key}'")
        dangling = [_boolean("dangling", v) for v in filters.get("dangling", [])]
        chosen = []
        for record in sorted(self.records.values(), key=lambda r: r.name):
            if any((not self._users(record.name)) != wanted for wanted in dangling):
                continue
            if filters.get("name") and not any(n in record.name for n in filters["name"]):
                continue
            if not all(label_matches(record.labels, w) for w in filters.get("label", [])):
                continue
            if filters.get("driver") and "local" not in filters["driver"]:
                continue
            chosen.append(self.view(record))
        return {"Volumes": chosen, "Warnings": []}

    def view(self, record: VolumeRecord) -> dict[str, Any]:
        """Docker's Volume object."""
        return {
            "CreatedAt": record.created,
            "Driver": "local",
            "Labels": dict(record.labels),
            "Mountpoint": str(self.store.data_dir(record.name)),
            "Name": record.name,
            "Options": None,
            "Scope": "local",
        }

    def data_dir(self, name: str) -> str:
        return str(self.store.data_dir(name))

    # --- removal --------------------------------------------------------------------

    async def remove(self, name: str, force: bool = False) -> None:
        """DELETE /volumes/{name}: refused while a container uses it, even with force.

        Raises:
            NotFound: no such volume (unless `force`).
            Conflict: a container mounts it (Docker's words, with the container IDs).
        """
        record = self.records.get(name)
        if record is None:
            if force:
                return
            raise NotFound(f"get {name}: no such volume")
        users = self._users(name)
        if users:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
        await self._delete(record)

    async def remove_anonymous(self, names: list[str]) -> None:
        """Remove the anonymous volumes among `names` that no container uses any more."""
        for name in names:
            record = self.records.get(name)
            if record is not None and record.anonymous and not self._users(name):
                await self._delete(record)

    async def prune(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        """POST /volumes/prune: unused anonymous volumes, or every unused one with all=true.

        Raises:
            InvalidArgument: an unknown filter.
        """
        for key in filters:
            if key not in PRUNE_FILTERS:
                raise InvalidArgument(f"invalid filter '{key}'")
        every = any(_boolean("all", v) for v in filters.get("all", []))
        deleted: list[str] = []
        reclaimed = 0
        for record in sorted(self.records.values(), key=lambda r: r.name):
            if self._users(record.name) or not (every or record.anonymous):
                continue
            if not all(label_matches(record.labels, w) for w in filters.get("label", [])):
                continue
            if any(label_matches(record.labels, w) for w in filters.get("label!", [])):
                continue
            reclaimed += await asyncio.to_thread(self.store.size, record.name)
            await self._delete(record)
            deleted.append(record.name)
        return {"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}

    async def _delete(self, record: VolumeRecord) -> None:
        self.records.pop(record.name, None)
        await asyncio.to_thread(self.store.delete, record.name)
        self._publish("destroy", record)

    def _publish(self, action: str, record: VolumeRecord) -> None:
        self.events.publish(Event("volume", action, record.name, {"driver": "local"}))


def _boolean(key: str, value: str) -> bool:
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise InvalidArgument(f"invalid filter '{key}={value}': expected true or false")


def _check_labels(labels: Any) -> None:
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise InvalidArgument("Labels must be an object of strings")
    if any("\0" in k or "\0" in v for k, v in labels.items()):
        raise InvalidArgument("Labels must not contain NUL bytes")
    if sum(len(k.encode()) + len(v.encode()) for k, v in labels.items()) > MAX_LABELS_BYTES:
        raise InvalidArgument(f"Labels take more than {MAX_LABELS_BYTES} bytes")
