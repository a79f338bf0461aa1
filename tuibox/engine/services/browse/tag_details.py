"""Provides describe_tag: one tag's digest, size, platforms and age, read from its manifest(s)
and the image config."""

from __future__ import annotations

from typing import Any

from tuibox.engine.domain.errors import EngineError, InvalidArgument
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.platform import go_arch
from tuibox.engine.domain.reference import Reference
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient, RepositorySession
from tuibox.engine.registry.manifests import (
    INDEX_TYPES,
    MAX_CONFIG_BYTES,
    Descriptor,
    parse_document,
)
from tuibox.engine.services.browse.target import BrowseTarget

ATTESTATION = "unknown"
"""The os and architecture of buildx's attestation entries in an index: not a platform."""


def _platform(spec: dict[str, Any]) -> str:
    text = f"{spec.get('os', '')}/{spec.get('architecture', '')}"
    return f"{text}/{spec['variant']}" if spec.get("variant") else text


async def describe_tag(registry: RegistryClient, target: BrowseTarget, reference: Reference,
                       credentials: Credentials | None) -> dict[str, Any]:  # fmt: skip
    """{"Tag", "Digest", "Size", "Platforms", "Created", "Error"} of `reference`'s tag.

    Digest is what a pull of the tag reports (an index's own when it is one); Size is the
    compressed config and layers of the host's platform (the first platform when the host's
    is not in the index), as a pull would fetch; Created is that platform's config's.
    """
    entry = unreadable_tag(reference.tag or "latest")
    session = RepositorySession(registry.client_for(target.endpoint), target.endpoint,
                                reference, credentials, registry.tokens)
    try:
        body, content_type, digest = await session.fetch_manifest(reference.tag or "latest")
        entry["Digest"] = digest
        media_type, document = parse_document(body, content_type)
        if media_type in INDEX_TYPES:
            platforms, chosen = _index_platforms(document)
            entry["Platforms"] = platforms
            body, content_type, _ = await session.fetch_manifest(chosen.digest)
            media_type, document = parse_document(body, content_type)
            if media_type in INDEX_TYPES:
                raise InvalidArgument("the manifest list nests another list")
        config = Descriptor.parse(document.get("config"), "config")
        layers = document.get("layers")
        if not isinstance(layers, list):
            raise InvalidArgument("invalid manifest: layers is not a list")
        sizes = [Descriptor.parse(layer, f"layer {i}").size for i, layer in enumerate(layers)]
        entry["Size"] = config.size + sum(sizes)
        image = await _config(session, config)
        entry["Created"] = image.get("created") if isinstance(image.get("created"), str) else None
        if not entry["Platforms"]:
            entry["Platforms"] = [_platform(image)]
    except EngineError as err:
        entry["Error"] = str(err)
    return entry


def unreadable_tag(tag: str) -> dict[str, Any]:
    """A tag's entry before anything is known of it (its Error says why, when it stays so)."""
    return {"Tag": tag, "Digest": "", "Size": 0, "Platforms": [], "Created": None, "Error": ""}


def _index_platforms(document: dict[str, Any]) -> tuple[list[str], Descriptor]:
    """The platforms an index offers (attestations left out) and the entry a pull here takes."""
    entries = document.get("manifests")
    if not isinstance(entries, list):
        raise InvalidArgument("invalid index: manifests is not a list")
    platforms: list[str] = []
    chosen: Descriptor | None = None
    first: Descriptor | None = None
    for index, item in enumerate(entries):
        descriptor = Descriptor.parse(item, f"index entry {index}")
        spec = descriptor.platform or {}
        if spec.get("os") == ATTESTATION or spec.get("architecture") == ATTESTATION:
            continue
        platforms.append(_platform(spec))
        first = first or descriptor
        if chosen is None and spec.get("os") == "linux" and spec.get("architecture") == go_arch():
            chosen = descriptor
    if first is None:
        raise InvalidArgument("the manifest list names no platform")
    return platforms, chosen or first


async def _config(session: RepositorySession, descriptor: Descriptor) -> dict[str, Any]:
    if descriptor.size > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"image config is {descriptor.size} bytes, too large")
    data = await session.fetch_blob(descriptor)  # its digest checked
    config = parse_json(data, "the image config")
    if not isinstance(config, dict):
        raise InvalidArgument("image config is not a JSON object")
    return config
