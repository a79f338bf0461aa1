"""SVG snapshots of the Registries pane with login state, the login dialog, a registry's catalog
and a repository's tags (fake engine)."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import FakeEngineClient, MakeApp
from tests.fake_registry import tuibox_registries
from tests.snapshot.test_snapshots import settle

TERMINAL_SIZE = (110, 30)


def test_registries_with_their_login_state(snap_compare: Callable[..., bool],
                                           make_app: MakeApp,
                                           fake_client: FakeEngineClient) -> None:  # fmt: skip
    fake_client.registries = tuibox_registries()
    assert snap_compare(make_app(), press=["3"], run_before=settle, terminal_size=TERMINAL_SIZE)


def test_login_dialog_masks_the_password(snap_compare: Callable[..., bool], make_app: MakeApp,
                                         fake_client: FakeEngineClient) -> None:  # fmt: skip
    fake_client.registries = tuibox_registries()
    keys = ["3", "j", "l", *"alice", "tab", *"s3cret"]
    assert snap_compare(make_app(), press=keys, run_before=settle, terminal_size=TERMINAL_SIZE)


def test_catalog_filtered(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    keys = ["3", "j", "enter", "slash", *"app1"]
    assert snap_compare(make_app(), press=keys, run_before=settle, terminal_size=TERMINAL_SIZE)


def test_repository_tags(snap_compare: Callable[..., bool], make_app: MakeApp) -> None:
    keys = ["3", "j", "enter", "enter"]
    assert snap_compare(make_app(), press=keys, run_before=settle, terminal_size=TERMINAL_SIZE)
