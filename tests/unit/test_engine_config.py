"""The engine config file: daemon.json keys, defaults, and clear errors for bad values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tuibox.engine.domain.config import DEFAULT_DATA_ROOT, load_config
from tuibox.engine.domain.errors import InvalidArgument


def test_missing_default_file_means_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tuibox.engine.domain.config.DEFAULT_CONFIG_FILE", tmp_path / "none.json")
    config = load_config(None)
    assert config.data_root == DEFAULT_DATA_ROOT
    assert config.registry_mirrors == () and config.cgroup_parent == "/tuibox"


def test_keys_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text(
        json.dumps(
            {
                "registry-mirrors": ["http://127.0.0.1:5000/"],
                "insecure-registries": ["127.0.0.0/8"],
                "data-root": "/srv/tuibox",
                "cgroup-parent": "ci/run-1",
                "log-level": "debug",
            }
        )
    )
    config = load_config(path, socket=tmp_path / "s.sock")
    assert config.registry_mirrors == ("http://127.0.0.1:5000",)
    assert config.insecure_registries == ("127.0.0.0/8",)
    assert config.data_root == Path("/srv/tuibox")
    assert config.cgroup_parent == "/ci/run-1"
    assert config.socket == tmp_path / "s.sock"
    assert load_config(path, data_root=tmp_path).data_root == tmp_path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "cannot read engine config"),
        ("[]", "must hold a JSON object"),
        ('{"registry-mirrors": "http://x"}', "registry-mirrors must be a list of strings"),
        ('{"cgroup-parent": "/"}', "cgroup-parent must be a path"),
    ],
)
def test_bad_files_are_refused_with_the_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "engine.json"
    path.write_text(content)
    with pytest.raises(InvalidArgument, match=message):
        load_config(path)


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="does not exist"):
        load_config(tmp_path / "absent.json")


def test_unknown_keys_are_refused_with_dockerds_words(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({"bogus-key": 1, "registry-mirrors": [], "Debug": True}))
    with pytest.raises(InvalidArgument) as refused:
        load_config(path)
    assert str(refused.value).endswith(
        "the following directives don't match any configuration option: Debug, bogus-key"
    )


def test_dockerd_keys_the_engine_does_not_honour_are_named(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({"fixed-cidr": "10.9.0.0/24", "mtu": 1400,
                                "live-restore": False, "data-root": "/srv"}))  # fmt: skip
    with pytest.raises(InvalidArgument) as refused:
        load_config(path)
    assert str(refused.value).endswith(
        "the following directives are not supported by the tuibox engine yet: "
        "fixed-cidr, mtu, live-restore=false"
    )


def test_debug_exec_root_and_the_values_the_engine_always_has(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    keys = {"debug": True, "exec-root": "/run/other", "live-restore": True,
            "storage-driver": "overlay2", "log-driver": "json-file"}  # fmt: skip
    path.write_text(json.dumps(keys))
    config = load_config(path)
    assert config.log_level == "debug"
    assert config.exec_root == Path("/run/other")
    assert load_config(path, exec_root=tmp_path).exec_root == tmp_path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"log-level": "loud"}', "log-level must be one of"),
        ('{"debug": "yes"}', "debug must be true or false"),
        ('{"storage-driver": "btrfs"}', 'storage-driver="btrfs"'),
        ('{"exec-root": 5}', "exec-root must be a string"),
    ],
)
def test_bad_values_of_honoured_keys(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "engine.json"
    path.write_text(content)
    with pytest.raises(InvalidArgument, match=message):
        load_config(path)


def test_a_number_is_not_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text('{"live-restore": 1}')
    with pytest.raises(InvalidArgument, match="live-restore=1"):
        load_config(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"registry-mirrors": ["ftp://x"]}', "invalid mirror: 'ftp://x'"),
        ('{"registry-mirrors": ["http://m:5000/v2/x"]}', "must be a bare registry URL"),
        ('{"insecure-registries": ["not a cidr/99"]}', "is not a valid CIDR"),
        ('{"insecure-registries": ["http://r:5000"]}', "is not host[:port] or a CIDR"),
    ],
)
def test_mirror_and_insecure_registry_values_are_checked(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "engine.json"
    path.write_text(content)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        load_config(path)
    good = ["127.0.0.1:5000", "10.0.0.0/8", "[::1]:5000"]
    document = {"registry-mirrors": ["http://m:5000"], "insecure-registries": good}
    path.write_text(json.dumps(document))
    assert load_config(path).insecure_registries == tuple(good)


def test_max_concurrent_downloads_is_honoured_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text("{}")
    assert load_config(path).max_concurrent_downloads == 3
    path.write_text(json.dumps({"max-concurrent-downloads": 1}))
    assert load_config(path).max_concurrent_downloads == 1
    for bad in (0, 65, "3", True):
        path.write_text(json.dumps({"max-concurrent-downloads": bad}))
        with pytest.raises(InvalidArgument, match="max-concurrent-downloads must be a whole"):
            load_config(path)
