"""Resolves `docker run -u` (name, uid, name:group, uid:gid) against the container's files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument

MAX_USER_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ProcessUser:
    """The ids the container's process runs with."""

    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    home: str = "/root"
    """HOME when the container's environment does not set it: the user's passwd home."""


def resolve_user(spec: str, passwd: str, group: str) -> ProcessUser:
    """Turn Docker's user string into ids, reading passwd and group as the image has them.

    Raises:
        InvalidArgument: a name that the files do not know, with Docker's wording.
    """
    users = _entries(passwd)
    groups = _entries(group)
    if not spec:
        root = _find(users, "0")
        return ProcessUser(home=root[5] if root is not None and len(root) > 5 else "/root")
    user_part, _, group_part = spec.partition(":")
    for part in (user_part, group_part):
        if _is_id(part) and int(part) > MAX_ID:
            raise InvalidArgument(f"invalid user {spec!r}: {part} is not a valid id")
    user_entry = _find(users, user_part)
    if user_entry is None and not _is_id(user_part):
        raise InvalidArgument(
            f"unable to find user {user_part}: no matching entries in passwd file"
        )
    uid = int(user_part) if user_entry is None else int(user_entry[2])
    gid = int(user_entry[3]) if user_entry is not None else 0
    if group_part:
        group_entry = _find(groups, group_part)
        if group_entry is None and not _is_id(group_part):
            raise InvalidArgument(
                f"unable to find group {group_part}: no matching entries in group file"
            )
        gid = int(group_part) if group_entry is None else int(group_entry[2])
    name = user_entry[0] if user_entry is not None else None
    extra = tuple(
        sorted({int(g[2]) for g in groups if name and name in g[3].split(",") and int(g[2]) != gid})
    )
    home = user_entry[5] if user_entry is not None and len(user_entry) > 5 else "/"
    return ProcessUser(uid, gid, extra, home or "/")


def resolve_groups(names: tuple[str, ...], group: str) -> tuple[int, ...]:
    """The gids of `--group-add` names or numbers, names looked up in the image's group file.

    Raises:
        InvalidArgument: a name the file does not know, with Docker's wording.
    """
    rows = _entries(group)
    gids: list[int] = []
    for name in names:
        entry = _find(rows, name)
        if entry is None and not _is_id(name):
            raise InvalidArgument(f"unable to find group {name}: no matching entries in group file")
        gid = int(name) if entry is None else int(entry[2])
        if gid > MAX_ID:
            raise InvalidArgument(f"invalid group {name!r}: {gid} is not a valid id")
        gids.append(gid)
    return tuple(gids)


def read_user_files(rootfs: Path) -> tuple[str, str]:
    """The container's /etc/passwd and /etc/group, empty when the image has none.

    Links are not followed: an image's `/etc/passwd -> /etc/shadow` must not make the
    engine read the host's files.
    """
    no_follow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        etc_fd = os.open(rootfs / "etc", no_follow | os.O_DIRECTORY)
    except OSError:
        return "", ""
    texts = []
    try:
        for name in ("passwd", "group"):
            try:
                fd = os.open(name, no_follow, dir_fd=etc_fd)
            except OSError:
                texts.append("")
                continue
            with os.fdopen(fd, "rb") as handle:
                texts.append(handle.read(MAX_USER_FILE_BYTES).decode(errors="replace"))
    finally:
        os.close(etc_fd)
    return texts[0], texts[1]


MAX_ID = 2**32 - 2
"""The largest uid or gid the kernel takes (2**32 - 1 means "no id")."""


def _is_id(text: str) -> bool:
    return re.fullmatch(r"[0-9]{1,10}", text) is not None


def _entries(text: str) -> list[list[str]]:
    rows = [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]
    return [row for row in rows if len(row) >= 4 and row[2].isdigit()]


def _find(rows: list[list[str]], wanted: str) -> list[str] | None:
    for row in rows:
        if row[0] == wanted:
            return row
    if _is_id(wanted):
        return next((row for row in rows if row[2] == wanted), None)
    return None
