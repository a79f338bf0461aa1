"""SVG snapshot of the Images pane's run dialog, with a -p entry it refuses."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import MakeApp
from tests.snapshot.test_snapshots import settle


def test_run_dialog_names_a_bad_port_entry(
    snap_compare: Callable[..., bool], make_app: MakeApp
) -> None:
    keys = ["2", "j", "r", *"web", "tab", *"8080:80,80/icmp", "tab", *"front", "enter"]
    assert snap_compare(make_app(), press=keys, run_before=settle, terminal_size=(80, 24))
