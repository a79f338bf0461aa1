"""The layer explorer's rows: layers stacked into one tree as of a layer, filtered (pure)."""

from __future__ import annotations

from typing import Any

from tuibox.client.image_details import LayerReport
from tuibox.widgets.layer_rows import layer_rows, tree_key


def report(*layers: list[tuple[str, str, str]]) -> LayerReport:
    """Layers of (path, kind, change) entries."""
    documents: list[dict[str, Any]] = [
        {"index": index, "entries": [{"path": path, "kind": kind, "size": 1, "mode": 0o644,
                                      "change": change} for path, kind, change in entries]}
        for index, entries in enumerate(layers)
    ]  # fmt: skip
    return LayerReport.from_json({"layers": documents})


BASE = [("/etc", "dir", "added"), ("/etc/passwd", "file", "added"),
        ("/opt", "dir", "added"), ("/opt/tool", "dir", "added"),
        ("/opt/tool/bin", "file", "added"), ("/opt.txt", "file", "added")]  # fmt: skip


def shown(rows: list[Any]) -> list[tuple[str, str | None]]:
    return [(row.path, row.change) for row in rows]


def test_a_layer_shows_what_is_below_unchanged_and_its_own_entries_changed() -> None:
    layers = report(BASE, [("/etc", "dir", "modified"), ("/etc/passwd", "file", "modified"),
                           ("/new", "file", "added")])  # fmt: skip
    assert shown(layer_rows(layers, 1)) == [
        ("/etc", "modified"), ("/etc/passwd", "modified"), ("/new", "added"),
        ("/opt", None), ("/opt/tool", None), ("/opt/tool/bin", None), ("/opt.txt", None),
    ]  # fmt: skip
    assert shown(layer_rows(layers, 1, changes_only=True)) == [
        ("/etc", "modified"), ("/etc/passwd", "modified"), ("/new", "added")]  # fmt: skip


def test_a_removal_takes_its_subtree_away_and_is_shown_where_it_happened() -> None:
    layers = report(BASE, [("/opt/tool", "dir", "removed")], [("/x", "file", "added")])
    assert shown(layer_rows(layers, 1))[-3:] == [("/opt", None), ("/opt/tool", "removed"),
                                                 ("/opt.txt", None)]  # fmt: skip
    assert "/opt/tool" not in [row.path for row in layer_rows(layers, 2)]
    assert "/opt/tool/bin" not in [row.path for row in layer_rows(layers, 2)]


def test_a_file_replacing_a_directory_drops_what_was_in_it() -> None:
    layers = report(BASE, [("/opt/tool", "file", "modified")], [])
    assert [row.path for row in layer_rows(layers, 2)] == [
        "/etc", "/etc/passwd", "/opt", "/opt/tool", "/opt.txt"]  # fmt: skip


def test_the_filter_keeps_matches_and_their_directories_in_any_case() -> None:
    rows = layer_rows(report(BASE), 0, query="BIN")
    assert shown(rows) == [("/opt", "added"), ("/opt/tool", "added"), ("/opt/tool/bin", "added")]
    assert layer_rows(report(BASE), 0, query="nothing") == []


def test_tree_order_lists_a_directory_s_contents_right_after_it() -> None:
    paths = ["/a.txt", "/a/b", "/a", "/a-b"]
    assert sorted(paths, key=tree_key) == ["/a", "/a/b", "/a-b", "/a.txt"]


def test_a_row_reads_its_mode_as_ls_does() -> None:
    (etc, passwd) = layer_rows(report(BASE[:2]), 0)
    assert (etc.mode_text, passwd.mode_text, passwd.name, passwd.depth) == (
        "drw-r--r--", "-rw-r--r--", "passwd", 1)  # fmt: skip
