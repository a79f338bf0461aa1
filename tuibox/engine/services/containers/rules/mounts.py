"""Mount rules: parse -v, --mount, --tmpfs and VOLUME into MountSpecs with Docker's checks (pure).

What a create body asks for comes in four places: HostConfig.Binds (`-v src:dst[:mode]`),
HostConfig.Mounts (`--mount`), HostConfig.Tmpfs (`--tmpfs dst[:opts]`) and Config.Volumes
(`-v /dst`, an anonymous volume); the image's VOLUMEs add anonymous volumes where nothing
else is mounted. Errors use Docker's words.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.mounts import (
    DEFAULT_PROPAGATION,
    PROPAGATIONS,
    VOLUME_NAME,
    MountSpec,
)

TMPFS_DEFAULTS = ("nosuid", "nodev", "noexec")
"""The options Docker gives every tmpfs mount unless the user says otherwise."""
_TMPFS_FLAGS = {"rw", "ro", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime",
                "noatime", "relatime", "strictatime", "nodiratime", "diratime"}  # fmt: skip
_TMPFS_KEYED = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "huge"}
_OPPOSITES = {"exec": "noexec", "suid": "nosuid", "dev": "nodev", "rw": "ro"}
_SIZE = re.compile(r"^[0-9]+[kKmMgG%]?$")
_MAX_MOUNTS = 256
"""More mounts than this in one container is not a real request."""


def parse_mounts(body: dict[str, Any], image_config: dict[str, Any]) -> list[MountSpec]:
    """Every mount the body and the image ask for, in Docker's order of precedence.

    Raises:
        InvalidArgument: a malformed or conflicting mount, named as Docker names it.
    """
    host_config = body.get("HostConfig") or {}
    mounts: list[MountSpec] = []
    binds = _list(host_config, "Binds", str)
    for spec in binds:
        mounts.append(parse_bind(spec))
    for raw in _list(host_config, "Mounts", dict):
        mounts.append(parse_mount(raw))
    tmpfs = host_config.get("Tmpfs") or {}
    if not isinstance(tmpfs, dict) or not all(isinstance(v, str) for v in tmpfs.values()):
        raise InvalidArgument("HostConfig.Tmpfs must be an object of mount options")
    for destination, options in tmpfs.items():
        mounts.append(MountSpec("tmpfs", _destination(destination, "tmpfs"),
                                tmpfs_options=tmpfs_options(options)))  # fmt: skip
    if len(mounts) > _MAX_MOUNTS:
        raise InvalidArgument(f"a container takes at most {_MAX_MOUNTS} mounts")
    seen: set[str] = set()
    for mount in mounts:
        if mount.destination in seen:
            raise InvalidArgument(f"Duplicate mount point: {mount.destination}")
        seen.add(mount.destination)
    anonymous = [*_keys(body.get("Volumes"), "Volumes"), *_keys(image_config.get("Volumes"), "")]
    for destination in anonymous:
        path = _destination(destination, "volume")
        if path not in seen:
            seen.add(path)
            mounts.append(MountSpec("volume", path, anonymous=True))
    return mounts


def _list(host_config: dict[str, Any], key: str, kind: type) -> list[Any]:
    value = host_config.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, kind) for item in value):
        wording = "strings" if kind is str else "objects"
        raise InvalidArgument(f"HostConfig.{key} must be a list of {wording}")
    return value


def _keys(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise InvalidArgument(f"{key or 'the image config Volumes'} must be an object of paths")
    return [str(path) for path in value]


def _missing(kind: str, field: str) -> str:
    return f'invalid mount config for type "{kind}": field {field} must not be empty'


def _destination(path: str, kind: str) -> str:
    if not path:
        raise InvalidArgument(_missing(kind, "Target"))
    if "\0" in path:
        raise InvalidArgument("a mount path must not contain NUL bytes")
    if not path.startswith("/"):
        raise InvalidArgument(
            f"invalid mount config for type \"{kind}\": invalid mount path: '{path}' mount "
            "path must be absolute"
        )
    clean = posixpath.normpath(path)
    if clean.startswith("//"):
        clean = "/" + clean.lstrip("/")
    if clean == "/":
        raise InvalidArgument("invalid specification: destination can't be '/'")
    return clean


def parse_bind(spec: str) -> MountSpec:
    """`-v SOURCE:DESTINATION[:MODE]`: a host path (absolute) or a volume name as source.

    Raises:
        InvalidArgument: as Docker words it ("invalid volume specification", "invalid mode").
    """
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidArgument(f"invalid volume specification: '{spec}'")
    source, destination = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else ""
    is_bind = source.startswith("/")
    kind = "bind" if is_bind else "volume"
    path = _destination(destination, kind)
    read_only, propagation, no_copy = False, "", False
    for word in filter(None, mode.split(",")):
        if word in ("ro", "rw"):
            read_only = word == "ro"
        elif word in ("z", "Z"):
            pass  # SELinux relabelling: hosts without SELinux have no labels to change
        elif word in PROPAGATIONS and is_bind:
            propagation = word
        elif word == "nocopy" and not is_bind:
            no_copy = True
        else:
            raise InvalidArgument(f"invalid mode: {mode}")
    if is_bind:
        if "\0" in source:
            raise InvalidArgument("a mount path must not contain NUL bytes")
        return MountSpec("bind", path, posixpath.normpath(source), read_only,
                         propagation or DEFAULT_PROPAGATION, mode, create_source=True)  # fmt: skip
    if not VOLUME_NAME.match(source):
        raise InvalidArgument(
            f'create {source}: "{source}" includes invalid characters for a local volume '
            'name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a '
            "host directory, use absolute path"
        )
    return MountSpec("volume", path, source, read_only, mode=mode or "z", no_copy=no_copy)


def parse_mount(raw: dict[str, Any]) -> MountSpec:
    """One `--mount` object: type bind, volume or tmpfs, with the options tuibox honours.

    Raises:
        InvalidArgument: a missing field, another type, or an option not honoured (named).
    """
    kind = raw.get("Type")
    if kind not in ("bind", "volume", "tmpfs"):
        raise InvalidArgument(f"mount type {kind!r} is not supported by the tuibox engine "
                              "(bind, volume and tmpfs are)")  # fmt: skip
    target = raw.get("Target")
    if not isinstance(target, str):
        raise InvalidArgument(_missing(kind, "Target"))
    path = _destination(target, kind)
    source = raw.get("Source") or ""
    read_only = raw.get("ReadOnly") or False
    if not isinstance(source, str) or not isinstance(read_only, bool):
        raise InvalidArgument("Mounts: Source must be a string and ReadOnly true or false")
    # Consistency (cached, delegated) tunes Docker Desktop's file sharing; Linux has none to
    # tune, and dockerd on Linux takes it and does nothing either.
    _refuse_unknown(raw, {"Type", "Target", "Source", "ReadOnly", "Consistency",
                          "BindOptions", "VolumeOptions", "TmpfsOptions"})  # fmt: skip
    if kind == "bind":
        _refuse_options(raw, "VolumeOptions", "TmpfsOptions", kind=kind)
        if not source:
            raise InvalidArgument(_missing("bind", "Source"))
        if not source.startswith("/") or "\0" in source:
            raise InvalidArgument(
                f"invalid mount config for type \"bind\": invalid mount path: '{source}' "
                "mount path must be absolute"
            )
        options = _options(raw, "BindOptions", {"Propagation"})
        propagation = options.get("Propagation") or DEFAULT_PROPAGATION
        if propagation not in PROPAGATIONS:
            raise InvalidArgument(f"invalid propagation mode: {propagation}")
        return MountSpec("bind", path, posixpath.normpath(source), read_only, propagation)
    if kind == "volume":
        _refuse_options(raw, "BindOptions", "TmpfsOptions", kind=kind)
        options = _options(raw, "VolumeOptions", {"NoCopy", "Labels", "DriverConfig"})
        driver = options.get("DriverConfig") or {}
        if not isinstance(driver, dict) or driver.get("Name") not in (None, "", "local") or (
                driver.get("Options")):
            raise InvalidArgument(
                "volume-driver and volume-opt are not supported by the tuibox engine yet "
                "(Mounts.VolumeOptions.DriverConfig): only plain local volumes are"
            )
        if source and not VOLUME_NAME.match(source):
            raise InvalidArgument(f'invalid mount config for type "volume": invalid volume '
                                  f"name {source!r}")  # fmt: skip
        labels = options.get("Labels") or {}
        if not isinstance(labels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise InvalidArgument("Mounts.VolumeOptions.Labels must be an object of strings")
        return MountSpec("volume", path, source, read_only, no_copy=bool(options.get("NoCopy")),
                         anonymous=not source,
                         volume_labels=tuple(sorted(labels.items())))  # fmt: skip
    _refuse_options(raw, "BindOptions", "VolumeOptions", kind=kind)
    if source:
        raise InvalidArgument('invalid mount config for type "tmpfs": field Source must be empty')
    options = _options(raw, "TmpfsOptions", {"SizeBytes", "Mode"})
    words: list[str] = []
    size, mode = options.get("SizeBytes"), options.get("Mode")
    for name, value in (("SizeBytes", size), ("Mode", mode)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 0):  # fmt: skip
            raise InvalidArgument(f"Mounts.TmpfsOptions.{name} must be a non-negative integer")
    if size:
        words.append(f"size={size}")
    if mode:
        words.append(f"mode={mode:o}")
    if read_only:
        words.append("ro")
    return MountSpec("tmpfs", path, read_only=read_only,
                     tmpfs_options=tmpfs_options(",".join(words)))


def _refuse_unknown(raw: dict[str, Any], known: set[str]) -> None:
    for key, value in raw.items():
        if key not in known and value not in (None, "", {}, [], False, 0):
            raise InvalidArgument(f"the mount field {key} is not supported by the tuibox engine")


def _refuse_options(raw: dict[str, Any], *keys: str, kind: str) -> None:
    for key in keys:
        if raw.get(key):
            raise InvalidArgument(f'invalid mount config for type "{kind}": {key} is not '
                                  f"valid for a {kind} mount")  # fmt: skip


def _options(raw: dict[str, Any], key: str, honoured: set[str]) -> dict[str, Any]:
    options = raw.get(key) or {}
    if not isinstance(options, dict):
        raise InvalidArgument(f"Mounts.{key} must be an object")
    for name, value in options.items():
        if name not in honoured and value not in (None, "", {}, [], False, 0):
            raise InvalidArgument(
                f"Mounts.{key}.{name} is not supported by the tuibox engine yet; leave it out"
            )
    return options


def tmpfs_options(text: str) -> tuple[str, ...]:
    """Docker's defaults (nosuid, nodev, noexec) overridden by the user's comma list.

    Raises:
        InvalidArgument: an option tmpfs does not take, or a malformed size or mode.
    """
    given = [word.strip() for word in text.split(",") if word.strip()]
    result = list(TMPFS_DEFAULTS)
    for word in given:
        name, eq, value = word.partition("=")
        if eq:
            if name not in _TMPFS_KEYED:
                raise InvalidArgument(f"invalid tmpfs option {word!r}")
            if name == "size" and not _SIZE.match(value):
                raise InvalidArgument(f"invalid tmpfs size {value!r}")
            if name == "mode" and not re.fullmatch(r"[0-7]{1,4}", value):
                raise InvalidArgument(f"invalid tmpfs mode {value!r}: an octal number is expected")
            if name in ("uid", "gid", "nr_inodes", "nr_blocks") and not value.isdigit():
                raise InvalidArgument(f"invalid tmpfs option {word!r}")
            result = [w for w in result if w.partition("=")[0] != name] + [word]
            continue
        if word not in _TMPFS_FLAGS:
            raise InvalidArgument(f"invalid tmpfs option {word!r}")
        opposite = _OPPOSITES.get(word) or next(
            (k for k, v in _OPPOSITES.items() if v == word), None)  # fmt: skip
        result = [w for w in result if w not in (word, opposite)] + [word]
    return tuple(result)
