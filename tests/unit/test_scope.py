"""Container paths resolved in scope, and the commit's changes and config merge (pure parts)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.scope import ContainerView, ViewMount, clean_path, resolve, resolve_parent
from tuibox.engine.services.containers.rules.commit_config import merge_configs
from tuibox.engine.services.containers.rules.path_stat import go_file_mode, go_time
from tuibox.engine.services.images.commit_changes import apply_changes


@pytest.fixture
def view(tmp_path: Path) -> ContainerView:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "tmp").mkdir()
    os.symlink("/", root / "rootlink")
    os.symlink("../../../../../etc", root / "tmp" / "up")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("/data/inside", root / "to-volume")
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "inside").mkdir()
    return ContainerView(root, (ViewMount("/data", volume, False, "volume"),))


@pytest.mark.parametrize(
    ("path", "parts"),
    [("/rootlink/etc", ["etc"]), ("/tmp/up", ["etc"]), ("/tmp/up/../../..", []),
     ("/to-volume", ["data", "inside"]), ("/missing/../etc", ["etc"]), ("/nope/x", ["nope", "x"])],
)  # fmt: skip
def test_symlinks_resolve_inside_the_view(view: ContainerView, path: str, parts: list[str]) -> None:
    assert resolve(view, path) == parts


def test_the_last_component_is_kept_unless_a_slash_asks_for_the_directory(
    view: ContainerView,
) -> None:
    assert resolve_parent(view, clean_path("/tmp/up")) == ["tmp", "up"]
    assert resolve_parent(view, clean_path("/tmp/up/")) == ["etc"]
    assert resolve_parent(view, clean_path("/tmp/up/.")) == ["etc"]


def test_a_symlink_loop_is_refused(view: ContainerView) -> None:
    with pytest.raises(InvalidArgument, match="too many links"):
        resolve(view, "/loop-a")


def test_clean_path_keeps_dockers_trailing_dot_and_slash() -> None:
    assert [clean_path(p) for p in ("etc", "/etc/", "/etc/.", "//a/../b", ".")] == [
        "/etc", "/etc/", "/etc/.", "/b", "/."]  # fmt: skip


def test_go_file_mode_and_time() -> None:
    assert go_file_mode(0o40755) == (1 << 31) | 0o755
    assert go_file_mode(0o104755) == (1 << 23) | 0o755
    assert go_time(1_700_000_000_500_000_000) == "2023-11-14T22:13:20.5Z"
    assert go_time(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


def test_changes_apply_as_a_dockerfile_would() -> None:
    config = apply_changes({"Cmd": ["sh"], "Env": ["A=0", "B=1"]},
                           ["ENV A=2", 'ENTRYPOINT ["run"]', "WORKDIR app", "LABEL k=v",
                            "EXPOSE 80 53/udp", "HEALTHCHECK --retries=2 CMD true"])  # fmt: skip
    assert config["Cmd"] is None  # ENTRYPOINT without CMD resets it
    assert config["Env"] == ["B=1", "A=2"]
    assert config["WorkingDir"] == "/app" and config["Labels"] == {"k": "v"}
    assert config["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert config["Healthcheck"] == {"Retries": 2, "Test": ["CMD-SHELL", "true"]}
    with pytest.raises(InvalidArgument, match="copy is not a valid change command"):
        apply_changes({}, ["COPY a b"])


def test_merge_completes_the_request_from_the_container_as_dockerd() -> None:
    container = {"User": "app", "Env": ["A=1", "PATH=/bin"], "Cmd": ["sh"], "WorkingDir": "/w",
                 "Labels": {"a": "1"}, "Volumes": {"/v": {}}, "Hostname": "box"}  # fmt: skip
    merged = merge_configs({"Env": ["A=2"], "Labels": {"b": "2"}}, container)
    assert merged["Env"] == ["A=2", "PATH=/bin"] and merged["Cmd"] == ["sh"]
    assert merged["User"] == "app" and merged["WorkingDir"] == "/w"
    assert merged["Labels"] == {"a": "1", "b": "2"} and merged["Volumes"] == {"/v": {}}
    assert "Hostname" not in merged  # only the fields dockerd merges come from the container
