"""Image config validation at pull time: the types moby's decoder would insist on."""

from __future__ import annotations

from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import is_sha256_digest

_STRING_LISTS = ("Cmd", "Entrypoint", "Env", "Shell", "OnBuild")
_STRING_MAPS = ("Labels",)
_OBJECT_MAPS = ("ExposedPorts", "Volumes")
_STRINGS = ("User", "WorkingDir", "StopSignal", "Hostname", "Domainname", "Image")
_TOP_STRINGS = ("architecture", "os", "variant", "author", "comment", "docker_version")


def validate_image_config(config: dict[str, Any], layer_count: int) -> list[str]:
    """Check a pulled image config before anything is stored; return its diff IDs.

    Args:
        config: the parsed config JSON object.
        layer_count: how many layers the manifest lists.

    Returns:
        rootfs.diff_ids, bottom first.

    Raises:
        InvalidArgument: a field has the wrong type, `created` is not a valid time, or the
            diff IDs do not match the manifest's layers.
    """
    for key in _TOP_STRINGS:
        _expect(isinstance(config.get(key, ""), str | None), f"{key} is not a string")
    created = config.get("created")
    if created is not None:
        _expect(isinstance(created, str) and timestamps.parse_ns(created) is not None,
                f"created {str(created)[:64]!r} is not a valid RFC 3339 time")  # fmt: skip
    section = config.get("config")
    _expect(section is None or isinstance(section, dict), "config is not an object")
    if isinstance(section, dict):
        _check_container_section(section)
    history = config.get("history")
    _expect(history is None or _is_list_of(history, dict), "history is not a list of objects")
    return _diff_ids(config.get("rootfs"), layer_count)


def _check_container_section(section: dict[str, Any]) -> None:
    for key in _STRING_LISTS:
        value = section.get(key)
        _expect(value is None or _is_list_of(value, str), f"config.{key} is not a list of strings")
    for key in _STRING_MAPS:
        value = section.get(key)
        _expect(value is None or _is_map_of(value, str), f"config.{key} is not a string map")
    for key in _OBJECT_MAPS:
        value = section.get(key)
        _expect(value is None or _is_map_of(value, dict), f"config.{key} is not a map of objects")
    for key in _STRINGS:
        _expect(isinstance(section.get(key, ""), str | None), f"config.{key} is not a string")
    healthcheck = section.get("Healthcheck")
    _expect(healthcheck is None or isinstance(healthcheck, dict),
            "config.Healthcheck is not an object")  # fmt: skip


def _diff_ids(rootfs: Any, layer_count: int) -> list[str]:
    _expect(isinstance(rootfs, dict), "rootfs is missing or not an object")
    diff_ids = rootfs.get("diff_ids")
    _expect(_is_list_of(diff_ids, str), "rootfs.diff_ids is not a list of strings")
    for diff_id in diff_ids:
        _expect(is_sha256_digest(diff_id), f"rootfs.diff_ids has an invalid digest {diff_id!r}")
    if len(diff_ids) != layer_count:
        raise InvalidArgument(
            f"invalid image config: it lists {len(diff_ids)} diff ids for {layer_count} layers"
        )
    return list(diff_ids)


def _is_list_of(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _is_map_of(value: Any, kind: type) -> bool:
    return isinstance(value, dict) and all(isinstance(v, kind) for v in value.values())


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise InvalidArgument(f"invalid image config: {problem}")
