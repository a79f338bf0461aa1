"""The layer explorer over layer directories built here: changes, whiteouts, opaque dirs, waste."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tuibox.engine.services.images.layer_tree import LayerSource, TreeQuery, explore_layers
from tuibox.engine.services.images.layer_walk import read_layer

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="whiteouts need root (mknod, trusted.* xattrs)",
)


def layer(root: Path, files: dict[str, bytes | str | None]) -> Path:
    """A layer dir: bytes are files, "->T" a symlink to T, None a whiteout, "/" a dir."""
    root.mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(0, 0))
        elif content == "/":
            path.mkdir(exist_ok=True)
        elif isinstance(content, str):
            path.symlink_to(content.removeprefix("->"))
        else:
            path.write_bytes(content)
    return root


def explore(dirs: list[Path], query: TreeQuery | None = None) -> dict[str, Any]:
    sources = [LayerSource(f"sha256:{i}", f"sha256:c{i}", f"step {i}", d)
               for i, d in enumerate(dirs)]  # fmt: skip
    return explore_layers("sha256:img", sources, query or TreeQuery())


def changes(document: dict[str, Any], index: int) -> dict[str, str]:
    return {e["path"]: e["change"] for e in document["layers"][index]["entries"]}


@needs_root
def test_each_entry_is_added_modified_or_removed_against_the_layers_below(tmp_path: Path) -> None:
    base = layer(tmp_path / "0", {"etc/passwd": b"p" * 100, "data/big": b"b" * 1000,
                                  "data/keep": b"k", "bin/sh": "->busybox"})  # fmt: skip
    top = layer(tmp_path / "1", {"etc/passwd": b"q" * 50, "data/big": None, "new": b"n" * 7,
                                 "gone": None})  # fmt: skip
    document = explore([base, top])
    assert changes(document, 0) == {
        "/bin": "added", "/bin/sh": "added", "/data": "added", "/data/big": "added",
        "/data/keep": "added", "/etc": "added", "/etc/passwd": "added",
    }  # fmt: skip
    assert changes(document, 1) == {"/data": "modified", "/data/big": "removed",
                                    "/etc": "modified", "/etc/passwd": "modified",
                                    "/gone": "removed", "/new": "added"}  # fmt: skip
    entries = {e["path"]: e for e in document["layers"][1]["entries"]}
    assert (entries["/data/big"]["kind"], entries["/data/big"]["size"]) == ("file", 1000)
    assert (entries["/gone"]["kind"], entries["/gone"]["size"]) == ("whiteout", 0)
    assert entries["/new"] == {"path": "/new", "kind": "file", "size": 7, "mode": 0o644,
                               "uid": 0, "gid": 0, "change": "added"}  # fmt: skip
    symlink = document["layers"][0]["entries"][1]
    assert (symlink["path"], symlink["kind"], symlink["size"]) == ("/bin/sh", "symlink", 7)
    assert [layer["created_by"] for layer in document["layers"]] == ["step 0", "step 1"]
    assert [layer["size"] for layer in document["layers"]] == [1101, 57]


@needs_root
def test_wasted_bytes_are_the_copies_a_later_layer_removed_or_overwrote(tmp_path: Path) -> None:
    base = layer(tmp_path / "0", {"etc/passwd": b"p" * 100, "data/big": b"b" * 1000,
                                  "data/keep": b"k"})  # fmt: skip
    middle = layer(tmp_path / "1", {"etc/passwd": b"q" * 50, "data/big": None})
    top = layer(tmp_path / "2", {"etc/passwd": b"r" * 10})
    document = explore([base, middle, top])
    assert document["size"] == 1101 + 50 + 10
    assert document["wasted_bytes"] == 1000 + 100 + 50
    assert document["efficiency"] == pytest.approx((1161 - 1150) / 1161)
    assert document["wasted_file_count"] == 2
    assert document["wasted_files"] == [
        {"path": "/data/big", "copies": 1, "total_bytes": 1000, "wasted_bytes": 1000},
        {"path": "/etc/passwd", "copies": 3, "total_bytes": 160, "wasted_bytes": 150},
    ]


@needs_root
def test_a_removed_directory_wastes_every_file_below_it(tmp_path: Path) -> None:
    base = layer(tmp_path / "0", {"cache/a": b"a" * 10, "cache/sub/b": b"b" * 20})
    top = layer(tmp_path / "1", {"cache": None})
    document = explore([base, top])
    (removed,) = document["layers"][1]["entries"]
    assert removed == {"path": "/cache", "kind": "dir", "size": 30, "mode": 0o755, "uid": 0,
                       "gid": 0, "change": "removed"}  # fmt: skip
    assert document["wasted_bytes"] == 30
    assert {f["path"] for f in document["wasted_files"]} == {"/cache/a", "/cache/sub/b"}


@needs_root
def test_an_opaque_directory_removes_what_it_hides_and_modifies_what_it_recreates(
    tmp_path: Path,
) -> None:
    base = layer(tmp_path / "0", {"etc/passwd": b"p" * 4, "etc/group": b"g" * 8,
                                  "etc/ssl/cert": b"c" * 16})  # fmt: skip
    top = layer(tmp_path / "1", {"etc/passwd": b"P", "etc/ssl": "/"})
    os.setxattr(top / "etc", "trusted.overlay.opaque", b"y")
    document = explore([base, top])
    assert changes(document, 1) == {"/etc": "modified", "/etc/group": "removed",
                                    "/etc/passwd": "modified", "/etc/ssl": "modified",
                                    "/etc/ssl/cert": "removed"}  # fmt: skip
    assert document["wasted_bytes"] == 4 + 8 + 16


def test_a_file_replacing_a_directory_hides_all_of_it_and_back(tmp_path: Path) -> None:
    base = layer(tmp_path / "0", {"x/a": b"a" * 3, "y": b"y" * 5})
    top = layer(tmp_path / "1", {"x": b"now a file", "y/inside": b"i"})
    document = explore([base, top])
    assert changes(document, 1) == {"/x": "modified", "/y": "modified", "/y/inside": "added"}
    assert document["wasted_bytes"] == 3 + 5


def test_entries_come_in_tree_order_and_the_query_caps_and_filters_them(tmp_path: Path) -> None:
    files: dict[str, bytes | str | None] = {f"many/f{i:03}": b"x" for i in range(30)}
    base = layer(tmp_path / "0", {**files, "a.txt": b"1", "a/b": b"2", "many.txt": b"3"})
    everything = explore([base])["layers"][0]
    paths = [e["path"] for e in everything["entries"]]
    assert paths[:4] == ["/a", "/a/b", "/a.txt", "/many"]
    assert (everything["entry_count"], everything["truncated"]) == (35, False)
    capped = explore([base], TreeQuery(limit=5, path="/many"))["layers"][0]
    expected = ["/many", *(f"/many/f{i:03}" for i in range(4))]
    assert [e["path"] for e in capped["entries"]] == expected
    assert (capped["entry_count"], capped["truncated"]) == (31, True)
    filtered = explore([base], TreeQuery(path="/a"))
    assert [e["path"] for e in filtered["layers"][0]["entries"]] == ["/a", "/a/b"]
    assert filtered["size"] == 33, "the filter narrows the entries, not the figures"


def test_the_walk_never_follows_a_symlink_out_of_the_layer(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"s" * 99)
    base = layer(tmp_path / "0", {"escape": f"->{outside}", "up": "->../outside"})
    entries = explore([base])["layers"][0]["entries"]
    assert [(e["path"], e["kind"]) for e in entries] == [("/escape", "symlink"), ("/up", "symlink")]


def test_hard_linked_names_count_their_bytes_once(tmp_path: Path) -> None:
    base = layer(tmp_path / "0", {"bin/busybox": b"e" * 64})
    os.link(base / "bin/busybox", base / "bin/sh")
    tree = read_layer(base)
    assert tree.subtree_bytes() == 64
    entries = explore([base])["layers"][0]["entries"]
    assert [e["size"] for e in entries if e["kind"] == "file"] == [64, 64]


def test_an_empty_image_is_fully_efficient(tmp_path: Path) -> None:
    document = explore([layer(tmp_path / "0", {})])
    assert (document["size"], document["wasted_bytes"], document["efficiency"]) == (0, 0, 1.0)
    assert document["layers"][0]["entries"] == []
