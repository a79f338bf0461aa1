"""Manifest and index documents: media types, validation, and platform selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.platform import Platform, host_platform, parse_platform
from tuibox.engine.domain.reference import validate_digest

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1_TYPES = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)
ACCEPT_HEADER = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))
GZIP_LAYER_TYPES = (
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.oci.image.layer.v1.tar+gzip",
)
ZSTD_LAYER_TYPES = (
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",  # containerd's name for it
)
UNPACKABLE_LAYER_TYPES = (*GZIP_LAYER_TYPES, *ZSTD_LAYER_TYPES,
                          "application/vnd.oci.image.layer.v1.tar")  # fmt: skip
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 8 * 1024 * 1024
@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: media type, digest (validated) and size."""

    media_type: str
    digest: str
    size: int
    platform: dict[str, Any] | None = None

    @classmethod
    def parse(cls, data: Any, what: str) -> Descriptor:
        """Read a descriptor from JSON.

        Raises:
            InvalidArgument: a field is missing or has the wrong type.
        """
        if not isinstance(data, dict):
            raise InvalidArgument(f"invalid manifest: {what} is not an object")
        size = data.get("size")
        if not isinstance(size, int) or size < 0:
            raise InvalidArgument(f"invalid manifest: {what} has no valid size")
        digest = validate_digest(str(data.get("digest", "")))
        plat = data.get("platform")
        media_type = str(data.get("mediaType", ""))
        return cls(media_type, digest, size, plat if isinstance(plat, dict) else None)


@dataclass(frozen=True)
class ImageManifest:
    """A single-platform manifest: the config descriptor and the layers, bottom first."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


def parse_document(body: bytes, content_type: str) -> tuple[str, dict[str, Any]]:
    """Parse a manifest or index, checking its media type against the HTTP Content-Type.

    Returns:
        The media type and the parsed document.

    Raises:
        InvalidArgument: not JSON, a schema1 manifest, an unknown type, or a mixed document.
    """
    try:
        document = parse_json(body, "the manifest")
    except InvalidArgument as err:
        raise InvalidArgument(f"invalid manifest from the registry: {err}") from None
    if not isinstance(document, dict):
        raise InvalidArgument("invalid manifest: expected a JSON object")
    header_type = content_type.split(";", 1)[0].strip()
    media_type = str(document.get("mediaType") or header_type)
    if media_type in SCHEMA1_TYPES or document.get("schemaVersion") == 1:
        raise InvalidArgument(
            "this image uses the deprecated Docker schema1 manifest format, which is not supported"
        )
    if media_type not in (*MANIFEST_TYPES, *INDEX_TYPES):
        raise InvalidArgument(f"unsupported manifest media type {media_type!r}")
    if document.get("mediaType") and header_type in (*MANIFEST_TYPES, *INDEX_TYPES) and (
        header_type != media_type
    ):
        raise InvalidArgument(
            f"invalid manifest: mediaType {media_type} differs from Content-Type {header_type}"
        )
    if "manifests" in document and ("layers" in document or "config" in document):
        raise InvalidArgument("invalid manifest: a document may not be both manifest and index")
    return media_type, document


def parse_image_manifest(media_type: str, document: dict[str, Any]) -> ImageManifest:
    """Read config and layer descriptors of a single-platform manifest.

    Raises:
        InvalidArgument: missing or malformed descriptors, or a layer type we cannot unpack.
    """
    config = Descriptor.parse(document.get("config"), "config")
    raw_layers = document.get("layers")
    if not isinstance(raw_layers, list):
        raise InvalidArgument("invalid manifest: layers is not a list")
    layers = tuple(Descriptor.parse(item, f"layer {i}") for i, item in enumerate(raw_layers))
    for layer in layers:
        if layer.media_type not in UNPACKABLE_LAYER_TYPES:
            raise InvalidArgument(f"unsupported layer media type {layer.media_type!r}")
    return ImageManifest(media_type, config, layers)


def select_platform(
    document: dict[str, Any], reference_text: str, wanted: Platform | None = None
) -> Descriptor:
    """Pick the manifest for `wanted` (the host's platform by default) from an index:
    os and architecture must match, and the variant when one is asked for (the first
    entry of that architecture otherwise, as containerd's matcher orders them);
    attestation entries (platform unknown/unknown) never match.

    Raises:
        NotFound: no entry matches the platform.
    """
    entries = document.get("manifests")
    if not isinstance(entries, list):
        raise InvalidArgument("invalid index: manifests is not a list")
    target = wanted or host_platform()
    for index, item in enumerate(entries):
        descriptor = Descriptor.parse(item, f"index entry {index}")
        plat = descriptor.platform or {}
        if plat.get("os") != target.os or not isinstance(plat.get("architecture"), str):
            continue
        try:
            offered = parse_platform(f"{plat['os']}/{plat['architecture']}/"
                                     f"{plat.get('variant') or ''}".rstrip("/"))  # fmt: skip
        except InvalidArgument:
            continue
        if offered.architecture != target.architecture:
            continue
        if target.variant and offered.variant != target.variant:
            continue
        return descriptor
    raise NotFound(f"no matching manifest for {target} in the manifest list entries of "
                   f"{reference_text}")  # fmt: skip
