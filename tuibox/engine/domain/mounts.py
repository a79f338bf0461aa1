"""A container's mounts (binds, volumes, tmpfs) and the local volumes they use (pure values)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

MountType = Literal["bind", "volume", "tmpfs"]
VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
"""Docker's rule for a local volume's name."""
PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
DEFAULT_PROPAGATION = "rprivate"


@dataclass(frozen=True)
class MountSpec:
    """One mount of a container, as asked for (-v, --mount, --tmpfs, VOLUME) and resolved.

    `source` is the host path of a bind and the volume's name for a volume; a tmpfs has
    none. `mode` is the -v mode text as given ("ro,z"), which inspect shows.
    """

    type: MountType
    destination: str
    source: str = ""
    read_only: bool = False
    propagation: str = ""
    mode: str = ""
    tmpfs_options: tuple[str, ...] = ()
    no_copy: bool = False
    anonymous: bool = False
    create_source: bool = False
    """A -v bind whose missing host directory is created, as Docker does (not --mount)."""
    volume_labels: tuple[tuple[str, str], ...] = ()
    """Labels for a volume this mount creates (`--mount ...,volume-label=k=v`)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tmpfs_options"] = list(self.tmpfs_options)
        data["volume_labels"] = [list(pair) for pair in self.volume_labels]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MountSpec:
        return cls(**{
            **data,
            "tmpfs_options": tuple(data.get("tmpfs_options") or ()),
            "volume_labels": tuple((str(k), str(v)) for k, v in data.get("volume_labels") or ()),
        })


@dataclass
class VolumeRecord:
    """A local volume: its data lives in `<data-root>/volumes/<name>/_data`."""

    name: str
    created: str
    labels: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VolumeRecord:
        return cls(
            name=str(data["name"]),
            created=str(data["created"]),
            labels={str(k): str(v) for k, v in dict(data.get("labels") or {}).items()},
            anonymous=bool(data.get("anonymous")),
        )
