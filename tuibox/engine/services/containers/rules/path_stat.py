"""Docker's ContainerPathStat for `docker cp`: Go's os.FileMode bits and time format (pure)."""

from __future__ import annotations

import base64
import json
import os
import posixpath
import stat
from typing import Any

from tuibox import timestamps

GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
GO_MODE_DEVICE = 1 << 26
GO_MODE_NAMED_PIPE = 1 << 25
GO_MODE_SOCKET = 1 << 24
GO_MODE_SETUID = 1 << 23
GO_MODE_SETGID = 1 << 22
GO_MODE_CHAR_DEVICE = 1 << 21
GO_MODE_STICKY = 1 << 20
STAT_HEADER = "X-Docker-Container-Path-Stat"


def go_file_mode(st_mode: int) -> int:
    """The os.FileMode Go's Lstat gives for a Unix st_mode (what the CLI decodes)."""
    mode = st_mode & 0o777
    kinds = {
        stat.S_IFDIR: GO_MODE_DIR,
        stat.S_IFLNK: GO_MODE_SYMLINK,
        stat.S_IFIFO: GO_MODE_NAMED_PIPE,
        stat.S_IFSOCK: GO_MODE_SOCKET,
        stat.S_IFCHR: GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE,
        stat.S_IFBLK: GO_MODE_DEVICE,
    }
    mode |= kinds.get(stat.S_IFMT(st_mode), 0)
    for bit, go_bit in ((stat.S_ISUID, GO_MODE_SETUID), (stat.S_ISGID, GO_MODE_SETGID),
                        (stat.S_ISVTX, GO_MODE_STICKY)):  # fmt: skip
        if st_mode & bit:
            mode |= go_bit
    return mode


def go_base(path: str) -> str:
    """Go's filepath.Base: trailing slashes dropped, "/" for the root."""
    stripped = path.rstrip("/")
    return posixpath.basename(stripped) if stripped else "/"


def go_time(time_ns: int) -> str:
    """time.Time as Go's JSON writes it (RFC 3339, trailing zeros of the fraction dropped)."""
    text = timestamps.format_ns(time_ns)
    head, _, fraction = text[:-1].partition(".")
    fraction = fraction.rstrip("0")
    return f"{head}.{fraction}Z" if fraction else f"{head}Z"


def path_stat(abs_path: str, info: os.stat_result, link_target: str) -> dict[str, Any]:
    """The ContainerPathStat of one path: its lstat, and where a symlink finally leads."""
    return {
        "name": go_base(abs_path),
        "size": info.st_size,
        "mode": go_file_mode(info.st_mode),
        "mtime": go_time(info.st_mtime_ns),
        "linkTarget": link_target,
    }


def stat_header(stat_json: dict[str, Any]) -> str:
    """The X-Docker-Container-Path-Stat value: base64 of the JSON (standard alphabet)."""
    return base64.b64encode(json.dumps(stat_json).encode()).decode()
