"""`docker diff` from an overlay upper dir against the image's layers."""

from __future__ import annotations

import os
from pathlib import Path

from tuibox.engine.layers.changes import ADDED, DELETED, MODIFIED, changes


def test_added_modified_and_deleted(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "passwd").write_text("root\n")
    (lower / "etc" / "group").write_text("root\n")
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "passwd").write_text("root\nme\n")
    (upper / "new").mkdir()
    (upper / "new" / "file").write_text("x")
    (upper / "link").symlink_to("/etc")
    whiteout = upper / "etc" / "group"
    try:
        os.mknod(whiteout, 0o600 | 0o020000, os.makedev(0, 0))
    except PermissionError:  # not root (the unprivileged run): a whiteout needs mknod
        whiteout = None  # type: ignore[assignment]
    found = {c["Path"]: c["Kind"] for c in changes(upper, [lower])}
    expected = {"/etc": MODIFIED, "/etc/passwd": MODIFIED, "/new": ADDED, "/new/file": ADDED,
                "/link": ADDED}  # fmt: skip
    if whiteout is not None:
        expected["/etc/group"] = DELETED
    assert found == expected
    assert [c["Path"] for c in changes(upper, [lower])] == sorted(str(p) for p in found)
