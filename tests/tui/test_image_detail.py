"""The image detail screen: Enter on an image, its History, Config, Layers and Inspect tabs."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static
from textual.widgets.tree import TreeNode

from tests.fake_image_details import BUSYBOX_ID
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ServerError
from tuibox.client.image_details import LayerReport
from tuibox.screens.help import IMAGE_DETAIL_ENTRIES
from tuibox.screens.image_detail import NO_EXPLORER, ImageDetailScreen
from tuibox.screens.main import MainScreen
from tuibox.widgets.image_tables import ConfigTable, HistoryTable, LayerTable, WastedTable
from tuibox.widgets.inspect_tree import InspectTree
from tuibox.widgets.layer_file_tree import LayerFileTree
from tuibox.widgets.layer_rows import CHANGE_LETTERS
from tuibox.widgets.search_bar import SearchBar


async def open_image(session: Session, row: int = 0) -> ImageDetailScreen:
    """Go to the Images pane, put the cursor on `row` and press Enter."""
    await session.press("2")
    for _ in range(row):
        await session.press("down")
    await session.press("enter")
    screen = session.app.screen
    assert isinstance(screen, ImageDetailScreen)
    return screen


def cells(table: Any) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def labels(tree: LayerFileTree) -> dict[str, Text]:
    """Each shown path's label."""
    found: dict[str, Text] = {}
    pending: list[TreeNode[Any]] = list(tree.root.children)
    while pending:
        node = pending.pop()
        assert isinstance(node.label, Text) and node.data is not None
        found[node.data.path] = node.label
        pending.extend(node.children)
    return found


def letters(tree: LayerFileTree) -> dict[str, str]:
    """The letter of each row the tree holds (shown, or inside a closed directory)."""
    return {row.path: CHANGE_LETTERS[row.change] for row in tree.rows}


def shown_letters(tree: LayerFileTree) -> dict[str, str]:
    """The letter each node in the tree reads (closed directories' rows are not nodes yet)."""
    return {path: label.plain[0] for path, label in labels(tree).items()}


def focused(session: Session) -> object:
    """The focused widget (a call, so mypy does not narrow it across key presses)."""
    return session.app.focused


def status(screen: ImageDetailScreen) -> str:
    return str(screen.query_one("#layers-status", Static).content)


async def test_enter_on_an_image_opens_its_history(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        assert screen.active_tab == "history"
        assert screen.reference == "busybox:1.35"
        assert cells(screen.query_one(HistoryTable)) == [
            ["2 days ago", "64B", "/bin/sh -c rm /data/big /etc/group && mkdir /app", ""],
            ["5 days ago", "0B", '/bin/sh -c #(nop) CMD ["sh"]', ""],
            ["5 days ago", "3MB", "/bin/sh -c head -c 3000000 /dev/zero > /data/big", ""],
            ["10 days ago", "1.1MB", "/bin/sh -c #(nop) ADD file:4f1e in /", "base layer"],
        ]
        called = [name for name, _ in session.fake.calls]
        assert "inspect_image" in called and "image_history" in called
        assert "image_layers" not in called, "the layers are read when their tab shows"
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_the_config_tab_lists_what_a_container_starts_with(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("2")
        assert screen.active_tab == "config"
        assert cells(screen.query_one(ConfigTable)) == [
            ["Entrypoint", '["/app/run.sh"]'], ["Cmd", '["sh"]'], ["Working dir", "/app"],
            ["User", "app"], ["Env", "PATH=/bin"], ["", "MODE=demo"],
            ["Exposed ports", "53/udp"], ["", "8080/tcp"], ["Volumes", "/data"],
            ["Labels", "org.opencontainers.image.title=busybox"], ["", "team=tools"],
        ]  # fmt: skip


async def test_the_layers_tab_shows_each_layer_s_tree_with_its_changes(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3")
        assert [call for call in session.fake.calls if call[0] == "image_layers"] == [
            ("image_layers", ("busybox:1.35",))]  # fmt: skip
        assert [row[0] for row in cells(screen.query_one(LayerTable))] == ["0", "1", "2"]
        tree = screen.file_tree
        assert set(letters(tree).values()) == {"A"}
        assert status(screen).startswith("Layer 1 of 3 · all files as of this layer")
        await session.press("down", "down")
        assert tree.layer_index == 2
        assert letters(tree) == {
            "/app": "A", "/app/run.sh": "A", "/bin": " ", "/bin/busybox": " ", "/bin/sh": " ",
            "/data": "M", "/data/big": "R", "/etc": "M", "/etc/group": "R", "/etc/passwd": " ",
            "/tmp": " ",
        }  # fmt: skip
        assert shown_letters(tree) == {
            "/app": "A", "/app/run.sh": "A", "/bin": " ", "/data": "M", "/data/big": "R",
            "/etc": "M", "/etc/group": "R", "/etc/passwd": " ", "/tmp": " ",
        }, "a directory holding no change stays closed"  # fmt: skip
        assert labels(tree)["/etc/passwd"].plain.split() == ["520B", "-rw-r--r--", "passwd"]
        summary = str(screen.query_one("#layers-wasted-summary", Static).content)
        assert summary == "Wasted 3MB of 4.1MB (3 files) · efficiency 26.8 %"
        assert cells(screen.query_one(WastedTable))[0] == ["3MB", "1", "/data/big"]


async def test_a_change_shows_by_letter_and_by_colour(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3", "down", "down")
        removed = labels(screen.file_tree)["/data/big"]
        added = labels(screen.file_tree)["/app/run.sh"]
        kept = labels(screen.file_tree)["/etc/passwd"]
        assert (removed.plain[0], added.plain[0], kept.plain[0]) == ("R", "A", " ")
        name_style = removed.spans[-1].style
        assert not isinstance(name_style, str) and name_style.strike and name_style.color
        added_style = added.spans[-1].style
        assert not isinstance(added_style, str) and added_style.color != name_style.color
        kept_style = kept.spans[-1].style
        assert not isinstance(kept_style, str) and not kept_style.color and not kept_style.strike


async def test_c_shows_only_the_layer_s_changes_and_back(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3", "down")
        await session.press("c")
        assert letters(screen.file_tree) == {"/data": "A", "/data/big": "A", "/etc": "M",
                                             "/etc/passwd": "M"}  # fmt: skip
        assert "changes only" in status(screen)
        await session.press("c")
        assert "/bin/busybox" in letters(screen.file_tree)
        assert "all files as of this layer" in status(screen)


async def test_f_and_enter_move_between_the_layers_and_the_files(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3")
        assert focused(session) is screen.query_one(LayerTable)
        await session.press("down", "enter")
        assert focused(session) is screen.file_tree
        assert screen.file_tree.layer_index == 1
        await session.press("f")
        assert focused(session) is screen.query_one(LayerTable)
        await session.press("f")
        assert focused(session) is screen.file_tree
        await session.press("1", "f")
        assert screen.active_tab == "history", "f does nothing off the Layers tab"


async def test_slash_filters_the_tree_by_path(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3")
        await session.press("slash")
        bar = screen.query_one("#layers-files SearchBar", SearchBar)
        assert bar.has_class("-open")
        await session.press(*"GROUP", "enter")
        assert letters(screen.file_tree) == {"/etc": "A", "/etc/group": "A"}
        assert "filter 'GROUP': 2 rows" in status(screen)
        await session.press("slash", *["backspace"] * 5, "enter")
        assert len(letters(screen.file_tree)) == 7


async def test_an_engine_without_the_explorer_is_told_plainly(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session, row=2)
        assert screen.reference == "hello-world:latest"
        await session.press("3")
        assert status(screen) == NO_EXPLORER
        assert screen.query_one(LayerTable).row_count == 0
        assert not session.notifications
        await session.press("4")
        assert screen.query_one(InspectTree).root.children, "inspect works on any engine"


async def test_a_failing_layer_report_is_said_in_the_tab_and_notified(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["image_layers"] = ServerError("layer walk failed", 500)
        screen = await open_image(session)
        await session.press("3")
        assert status(screen) == "Cannot read the layers: layer walk failed"
        assert any("layer walk failed" in str(n.message) for n in session.notifications)


async def test_the_inspect_tab_shows_the_raw_document(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("4")
        tree = screen.query_one(InspectTree)
        top = [str(node.label).split(":")[0] for node in tree.root.children]
        assert top[:2] == ["Id", "RepoTags [2]"]
        assert session.fake.image_inspects[BUSYBOX_ID]["Id"] == BUSYBOX_ID


def test_the_screen_s_keys_are_in_the_help() -> None:
    keys = {(where, what) for where, _, what in IMAGE_DETAIL_ENTRIES}
    assert {("Image", "Back"), ("Image", "Changes only/all files"),
            ("Layers tab", "Filter")} <= keys  # fmt: skip


async def test_a_closed_directory_s_files_are_added_when_it_opens(run_app: RunApp) -> None:
    async with run_app() as session:
        screen = await open_image(session)
        await session.press("3", "down", "down", "enter")
        tree = screen.file_tree
        assert "/bin/busybox" not in labels(tree)
        (bin_node,) = [n for n in tree.root.children if n.data and n.data.path == "/bin"]
        tree.move_cursor(bin_node)
        await session.press("space")
        assert shown_letters(tree)["/bin/busybox"] == " "
        assert labels(tree)["/bin/sh"].plain.split() == ["7B", "lrwxrwxrwx", "sh"]


async def test_a_layer_adding_thousands_of_files_opens_only_its_top_directories(
    run_app: RunApp,
) -> None:
    entries: list[dict[str, Any]] = [{"path": "/usr", "kind": "dir", "change": "added"},
                                     {"path": "/usr/lib", "kind": "dir", "change": "added"}]
    entries += [{"path": f"/usr/lib/f{i:04}", "kind": "file", "size": 1, "change": "added"}
                for i in range(3000)]  # fmt: skip
    async with run_app() as session:
        session.fake.layer_reports[BUSYBOX_ID] = LayerReport.from_json(
            {"layers": [{"index": 0, "entries": entries}]})  # fmt: skip
        screen = await open_image(session)
        await session.press("3")
        assert len(screen.file_tree.rows) == 3002
        assert shown_letters(screen.file_tree) == {"/usr": "A", "/usr/lib": "A"}
