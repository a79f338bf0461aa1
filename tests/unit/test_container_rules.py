"""Pure container rules: users from passwd/group, create-body checks, signals, start errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.services.containers.rules.create import (
    normalise_host_config,
    validate_create_body,
)
from tuibox.engine.services.containers.rules.start import (
    describe_start_failure,
    parse_signal,
    start_failure_exit_code,
)
from tuibox.engine.services.containers.rules.users import ProcessUser, read_user_files, resolve_user

PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
GROUP = "root:x:0:\nstaff:x:1001:\nwheel:x:10:app,root\naudio:x:29:app\n"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", ProcessUser(home="/root")),
        ("app", ProcessUser(1000, 1001, (10, 29), "/home/app")),
        ("1000", ProcessUser(1000, 1001, (10, 29), "/home/app")),
        ("app:wheel", ProcessUser(1000, 10, (29,), "/home/app")),
        ("4242", ProcessUser(4242, 0, (), "/")),
        ("4242:4343", ProcessUser(4242, 4343, (), "/")),
    ],
)
def test_resolve_user(spec: str, expected: ProcessUser) -> None:
    assert resolve_user(spec, PASSWD, GROUP) == expected


def test_ids_must_be_plain_numbers_the_kernel_takes() -> None:
    with pytest.raises(InvalidArgument, match="unable to find user \u00b2"):
        resolve_user("\u00b2", PASSWD, GROUP)
    with pytest.raises(InvalidArgument, match="is not a valid id"):
        resolve_user("4294967295", PASSWD, GROUP)


def test_unknown_names_use_dockers_words() -> None:
    with pytest.raises(InvalidArgument, match="unable to find user ghost: no matching entries"):
        resolve_user("ghost", PASSWD, GROUP)
    with pytest.raises(InvalidArgument, match="unable to find group ghosts"):
        resolve_user("app:ghosts", PASSWD, GROUP)


def test_user_files_are_not_read_through_links(tmp_path: Path) -> None:
    secret = tmp_path / "host-secret"
    secret.write_text("hostuser:x:7:7::/:/bin/sh\n")
    (tmp_path / "rootfs" / "etc").mkdir(parents=True)
    os.symlink(secret, tmp_path / "rootfs" / "etc" / "passwd")
    (tmp_path / "rootfs" / "etc" / "group").write_text(GROUP)
    passwd, group = read_user_files(tmp_path / "rootfs")
    assert passwd == "" and group == GROUP
    linked_etc = tmp_path / "other"
    linked_etc.mkdir()
    os.symlink(tmp_path / "rootfs" / "etc", linked_etc / "etc")
    assert read_user_files(linked_etc) == ("", "")


@pytest.mark.parametrize(
    ("text", "number"), [("TERM", 15), ("SIGKILL", 9), ("hup", 1), ("9", 9), (None, 15)]
)
def test_parse_signal(text: str | None, number: int) -> None:
    assert parse_signal(text, 15) == number


@pytest.mark.parametrize("text", ["SIGNOPE", "0", "99"])
def test_parse_signal_refuses_unknown(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid signal"):
        parse_signal(text, 15)


def test_start_failures_are_worded_for_the_cli() -> None:
    crun = "executable file `/nope` not found in $PATH: No such file or directory"
    message = describe_start_failure(crun)
    assert 'exec: "/nope": executable file not found in $PATH' in message
    assert start_failure_exit_code(message) == 127
    denied = describe_start_failure("open `/x`: Permission denied")
    assert start_failure_exit_code(denied) == 126
    assert start_failure_exit_code(describe_start_failure("cgroup trouble")) == 128


def test_validate_create_body_returns_host_config() -> None:
    body = {"Image": "busybox", "Labels": {"a": "b"}, "HostConfig": {"AutoRemove": True}}
    assert validate_create_body(body) == {"AutoRemove": True}
    with pytest.raises(InvalidArgument, match=r"Config\.Image is required"):
        validate_create_body({})
    with pytest.raises(InvalidArgument, match="StopTimeout must be an integer"):
        validate_create_body({"Image": "x", "StopTimeout": True})


def test_host_config_defaults() -> None:
    normalised = normalise_host_config({"NetworkMode": "default"})
    assert normalised["NetworkMode"] == "bridge"
    assert normalised["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert normalised["RestartPolicy"]["Name"] == "no"
    assert normalised["AutoRemove"] is False
