"""Docker JSON shapes for images (ImageSummary, image inspect) and the list filters."""

from __future__ import annotations

import fnmatch
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.labels import label_matches

SUPPORTED_FILTERS = ("reference", "dangling", "label", "before", "since")
DOCKER_FILTERS = (*SUPPORTED_FILTERS, "until")
"""Every filter `docker images` knows."""
_EMPTY_CONTAINER_CONFIG: dict[str, Any] = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False,
    "AttachStdout": False, "AttachStderr": False, "Tty": False, "OpenStdin": False,
    "StdinOnce": False, "Env": None, "Cmd": None, "Image": "", "Volumes": None,
    "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": None,
}  # fmt: skip


def image_summary(
    record: ImageRecord,
    containers: int,
    shared_size: int = -1,
    references: list[str] | None = None,
) -> dict[str, Any]:
    """Docker's ImageSummary for GET /images/json; with `reference` filter patterns, only
    the tags that match them are listed, as Docker lists them."""
    tags = list(record.repo_tags)
    if references:
        tags = [t for t in tags if any(_tag_matches(t, p) for p in references)]
    return {
        "Id": record.id,
        "ParentId": "",
        "RepoTags": tags,
        "RepoDigests": list(record.repo_digests),
        "Created": record.created,
        "Size": record.size,
        "SharedSize": shared_size,
        "VirtualSize": record.size,
        "Labels": record.container_config.get("Labels") or {},
        "Containers": containers,
    }


def image_inspect(record: ImageRecord, lower_dirs: list[str]) -> dict[str, Any]:
    """Docker's image inspect JSON (API 1.44 shape)."""
    config = record.config
    container_config = {**_EMPTY_CONTAINER_CONFIG, **record.container_config}
    created = str(config.get("created") or "") or timestamps.format_seconds(record.created)
    graph_data: dict[str, str] = {}
    if lower_dirs:
        graph_data = {"LowerDir": ":".join(lower_dirs[1:]), "UpperDir": lower_dirs[0]}
    return {
        "Id": record.id,
        "RepoTags": list(record.repo_tags),
        "RepoDigests": list(record.repo_digests),
        "Parent": "",
        "Comment": str(config.get("comment") or ""),
        "Created": created,
        "Container": str(config.get("container") or ""),
        "ContainerConfig": {**_EMPTY_CONTAINER_CONFIG, **_section(config, "container_config")},
        "DockerVersion": str(config.get("docker_version") or ""),
        "Author": str(config.get("author") or ""),
        "Config": container_config,
        "Architecture": str(config.get("architecture") or ""),
        "Variant": config.get("variant"),
        "Os": str(config.get("os") or "linux"),
        "OsVersion": config.get("os.version"),
        "Size": record.size,
        "GraphDriver": {"Name": "overlay2", "Data": graph_data},
        "RootFS": {"Type": "layers", "Layers": record.diff_ids},
        "Metadata": {"LastTagTime": record.last_tag_time or timestamps.ZERO_TIME},
    }


def _section(config: dict[str, Any], key: str) -> dict[str, Any]:
    value = config.get(key)
    return value if isinstance(value, dict) else {}


def check_filters(filters: dict[str, list[str]]) -> None:
    """Refuse filters `docker images` does not know.

    Raises:
        InvalidArgument: with moby's text, "invalid filter '<name>'".
    """
    for name in filters:
        if name not in DOCKER_FILTERS:
            raise InvalidArgument(f"invalid filter '{name}'")
        if name not in SUPPORTED_FILTERS:
            raise InvalidArgument(f"the filter '{name}' is not supported by the tuibox engine yet")
    for value in filters.get("dangling", []):
        if value.lower() not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"invalid filter 'dangling={value}'")


def matches_filters(
    record: ImageRecord, filters: dict[str, list[str]], created_bounds: tuple[int, int]
) -> bool:
    """Whether an image passes reference, dangling and label filters and the time bounds.

    `created_bounds` is (since, before) in unix seconds, already resolved from image refs.
    """
    since, before = created_bounds
    if since and record.created <= since:
        return False
    if before and record.created >= before:
        return False
    dangling = filters.get("dangling", [])
    if dangling and (dangling[-1].lower() in ("true", "1")) != (not record.repo_tags):
        return False
    patterns = filters.get("reference", [])
    if patterns and not any(_reference_matches(record, p) for p in patterns):
        return False
    labels = record.container_config.get("Labels") or {}
    return all(label_matches(labels, wanted) for wanted in filters.get("label", []))


def _reference_matches(record: ImageRecord, pattern: str) -> bool:
    return any(_tag_matches(tag, pattern) for tag in record.repo_tags)


def _tag_matches(tag: str, pattern: str) -> bool:
    name = tag.rsplit(":", 1)[0]
    return fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(name, pattern)


