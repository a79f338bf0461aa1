"""Docker's image history (GET /images/{name}/history) and its JSON `platform` parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument, RuntimeFailure
from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.platform import Platform, check_image_platform, parse_platform

PLATFORM_FIELDS = frozenset({"os", "architecture", "variant", "os.version", "os.features"})
"""The keys of an OCI platform object; os.version and os.features only matter on Windows."""


def image_history(record: ImageRecord, layer_size: Callable[[str], int]) -> list[dict[str, Any]]:
    """dockerd's HistoryResponseItem list, newest first.

    Each config history entry that is not `empty_layer` owns the next diff ID, bottom up;
    its Size is that layer's unpacked size (`layer_size` of its chain ID). Only the newest
    entry carries the image's ID and tags: the engine records no parent images, so the
    others are "<missing>", as dockerd shows a pulled image.

    Raises:
        RuntimeFailure: the config lists more non-empty history entries than layers
            (dockerd's "too many non-empty layers in History section").
    """
    chains = chain_ids(record.diff_ids)
    entries: list[dict[str, Any]] = []
    layer = 0
    for item in record.config.get("history") or []:
        size = 0
        if not item.get("empty_layer"):
            if layer >= len(chains):
                raise RuntimeFailure(
                    f"image {record.id}: too many non-empty layers in History section"
                )
            size = layer_size(chains[layer])
            layer += 1
        entries.append({
            "Comment": str(item.get("comment") or ""),
            "Created": timestamps.parse_seconds(str(item.get("created") or "")) or 0,
            "CreatedBy": str(item.get("created_by") or ""),
            "Id": "<missing>",
            "Size": size,
            "Tags": None,
        })  # fmt: skip
    entries.reverse()
    if entries:
        tags = [tag for tag in record.repo_tags if "@" not in tag]
        entries[0].update(Id=record.id, Tags=tags or None)
    return entries


def decode_platform(text: str) -> Platform:
    """The JSON-encoded OCI platform Docker's clients send (`{"os":..,"architecture":..}`).

    Raises:
        InvalidArgument: in dockerd's words for bad JSON or a missing os or architecture;
            naming the field for one the engine does not know or honour.
    """
    try:
        value = parse_json(text, "the value")
    except InvalidArgument as error:
        raise InvalidArgument(f"failed to parse platform: {error}") from None
    if not isinstance(value, dict):
        raise InvalidArgument("failed to parse platform: expected a JSON object")
    for key in sorted(value):
        if key not in PLATFORM_FIELDS:
            raise InvalidArgument(f"failed to parse platform: unknown field {key[:64]!r}")
        if not isinstance(value[key], str if key != "os.features" else list):
            raise InvalidArgument(f"failed to parse platform: {key} has the wrong type")
    for key in ("os.version", "os.features"):
        if value.get(key):
            raise InvalidArgument(
                f"platform field {key!r} is not supported: it selects Windows images only"
            )
    os_name, arch = value.get("os", ""), value.get("architecture", "")
    if not os_name and not arch and value.get("variant"):
        raise InvalidArgument(
            "optional platform fields provided, but OS and Architecture are missing"
        )
    if not os_name or not arch:
        raise InvalidArgument("both OS and Architecture must be provided")
    variant = value.get("variant", "")
    return parse_platform("/".join(part for part in (os_name, arch, variant) if part))


def check_platform(name: str, record: ImageRecord, wanted: Platform) -> None:
    """Refuse an image made for another platform than the one asked for, as dockerd.

    Raises:
        NotFound: see check_image_platform.
    """
    check_image_platform(name, record.config, wanted)
