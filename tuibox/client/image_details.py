"""Provides the image detail models: history rows, the config summary and the layer report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Change = Literal["added", "modified", "removed"]
CHANGES: tuple[Change, ...] = ("added", "modified", "removed")


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _keys(value: object) -> tuple[str, ...]:
    return tuple(str(key) for key in value) if isinstance(value, Mapping) else ()


@dataclass(frozen=True)
class HistoryEntry:
    """One row of GET /images/{name}/history (newest first, as Docker lists them)."""

    created: int
    created_by: str
    size: int
    comment: str

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> HistoryEntry:
        """Parse a HistoryResponseItem."""
        return cls(_int(raw, "Created"), _str(raw, "CreatedBy"), _int(raw, "Size"),
                   _str(raw, "Comment"))  # fmt: skip


@dataclass(frozen=True)
class ImageConfig:
    """What a container of the image starts with: the inspect document's Config section."""

    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[str, ...]
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    working_dir: str
    user: str

    @classmethod
    def from_inspect(cls, document: Mapping[str, Any]) -> ImageConfig:
        """Read it from `docker image inspect` JSON (a missing section reads as empty)."""
        config = document.get("Config")
        raw: Mapping[str, Any] = config if isinstance(config, Mapping) else {}
        labels = raw.get("Labels")
        pairs = sorted((str(k), str(v)) for k, v in labels.items()) if isinstance(
            labels, Mapping) else []  # fmt: skip
        return cls(
            entrypoint=_strings(raw.get("Entrypoint")),
            cmd=_strings(raw.get("Cmd")),
            env=_strings(raw.get("Env")),
            exposed_ports=tuple(sorted(_keys(raw.get("ExposedPorts")))),
            volumes=tuple(sorted(_keys(raw.get("Volumes")))),
            labels=tuple(pairs),
            working_dir=_str(raw, "WorkingDir"),
            user=_str(raw, "User"),
        )


@dataclass(frozen=True)
class LayerEntry:
    """One path a layer holds, with what it did to the layers below."""

    path: str
    kind: str
    size: int
    mode: int
    change: Change

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LayerEntry:
        """Parse an entry of the layer report; an unknown change is refused."""
        change = raw.get("change")
        if change not in CHANGES:
            raise ValueError(f"unknown change {change!r}")
        return cls(_str(raw, "path"), _str(raw, "kind"), _int(raw, "size"), _int(raw, "mode"),
                   change)  # fmt: skip


@dataclass(frozen=True)
class LayerDetail:
    """One layer, bottom first: its DiffID, the command that made it, its entries."""

    index: int
    diff_id: str
    created_by: str
    size: int
    entries: tuple[LayerEntry, ...]
    entry_count: int
    truncated: bool

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LayerDetail:
        """Parse a layer of the report."""
        entries = raw.get("entries")
        return cls(
            index=_int(raw, "index"),
            diff_id=_str(raw, "diff_id"),
            created_by=_str(raw, "created_by"),
            size=_int(raw, "size"),
            entries=tuple(LayerEntry.from_json(e) for e in entries or [] if isinstance(e, Mapping)),
            entry_count=_int(raw, "entry_count"),
            truncated=raw.get("truncated") is True,
        )


@dataclass(frozen=True)
class WastedFile:
    """A path whose copies a later layer removed or overwrote."""

    path: str
    copies: int
    total_bytes: int
    wasted_bytes: int

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> WastedFile:
        """Parse an entry of the report's wasted_files."""
        return cls(_str(raw, "path"), _int(raw, "copies"), _int(raw, "total_bytes"),
                   _int(raw, "wasted_bytes"))  # fmt: skip


@dataclass(frozen=True)
class LayerReport:
    """tuibox's layer explorer answer for one image."""

    size: int
    wasted_bytes: int
    efficiency: float
    wasted_files: tuple[WastedFile, ...]
    wasted_file_count: int
    layers: tuple[LayerDetail, ...]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> LayerReport:
        """Parse GET /tuibox/v1/images/{name}/layers."""
        efficiency = raw.get("efficiency")
        wasted = [WastedFile.from_json(f) for f in raw.get("wasted_files") or []
                  if isinstance(f, Mapping)]  # fmt: skip
        layers = [LayerDetail.from_json(layer) for layer in raw.get("layers") or []
                  if isinstance(layer, Mapping)]  # fmt: skip
        return cls(
            size=_int(raw, "size"),
            wasted_bytes=_int(raw, "wasted_bytes"),
            efficiency=float(efficiency) if isinstance(efficiency, int | float) else 1.0,
            wasted_files=tuple(wasted),
            wasted_file_count=_int(raw, "wasted_file_count"),
            layers=tuple(layers),
        )
