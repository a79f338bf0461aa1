"""The image record: what the engine knows about one image, keyed by its config digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from tuibox.engine.domain.reference import is_sha256_digest


def chain_ids(diff_ids: list[str]) -> list[str]:
    """OCI chain IDs of a layer stack, bottom first.

    ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
    """
    result: list[str] = []
    for diff_id in diff_ids:
        if not result:
            result.append(diff_id)
            continue
        joined = f"{result[-1]} {diff_id}".encode()
        result.append("sha256:" + hashlib.sha256(joined).hexdigest())
    return result


@dataclass(frozen=True)
class ImageRecord:
    """One local image.

    `id` is "sha256:<hex>" of the config JSON bytes; `config` the parsed config document
    (its "config" section holds Cmd, Entrypoint, Env, WorkingDir, User...). Tags and repo
    digests are kept in familiar form ("busybox:latest", "busybox@sha256:...").
    """

    id: str
    config: dict[str, Any]
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    size: int = 0
    created: int = 0
    manifest_digest: str | None = None
    layer_digests: tuple[str, ...] = ()
    layer_media_types: tuple[str, ...] = ()
    """The manifest's media type of each of `layer_digests` (pulled images; empty before)."""
    last_tag_time: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        """First 12 hex digits of the ID, as Docker prints it."""
        return self.id.removeprefix("sha256:")[:12]

    @property
    def diff_ids(self) -> list[str]:
        """Uncompressed layer digests from the config's rootfs section, bottom first."""
        rootfs = self.config.get("rootfs") or {}
        return [str(d) for d in rootfs.get("diff_ids") or []]

    @property
    def chain_ids(self) -> list[str]:
        return chain_ids(self.diff_ids)

    @property
    def container_config(self) -> dict[str, Any]:
        """The config's "config" section (Cmd, Env...), {} when absent."""
        section = self.config.get("config")
        return section if isinstance(section, dict) else {}

    def with_tags(
        self, repo_tags: tuple[str, ...], repo_digests: tuple[str, ...] | None = None
    ) -> ImageRecord:
        """A copy with new tags (and repo digests when given)."""
        digests = self.repo_digests if repo_digests is None else repo_digests
        return replace(self, repo_tags=repo_tags, repo_digests=digests)

    def to_json(self) -> dict[str, Any]:
        """The record as stored on disk."""
        return {
            "id": self.id,
            "config": self.config,
            "repo_tags": list(self.repo_tags),
            "repo_digests": list(self.repo_digests),
            "size": self.size,
            "created": self.created,
            "manifest_digest": self.manifest_digest,
            "layer_digests": list(self.layer_digests),
            "layer_media_types": list(self.layer_media_types),
            "last_tag_time": self.last_tag_time,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        """Rebuild a record written by `to_json`.

        Raises:
            ValueError: the stored ID is not a sha256 digest.
        """
        image_id = str(data["id"])
        if not is_sha256_digest(image_id):
            raise ValueError(f"image record has an invalid id {image_id!r}")
        return cls(
            id=image_id,
            config=dict(data["config"]),
            repo_tags=tuple(data.get("repo_tags") or ()),
            repo_digests=tuple(data.get("repo_digests") or ()),
            size=int(data.get("size") or 0),
            created=int(data.get("created") or 0),
            manifest_digest=data.get("manifest_digest"),
            layer_digests=tuple(data.get("layer_digests") or ()),
            layer_media_types=tuple(data.get("layer_media_types") or ()),
            last_tag_time=data.get("last_tag_time"),
            extra=dict(data.get("extra") or {}),
        )
