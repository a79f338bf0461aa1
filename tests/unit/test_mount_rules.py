"""The mount rules: -v, --mount, --tmpfs and VOLUME parsed with Docker's checks and words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.mounts import MountSpec
from tuibox.engine.layers.copy_up import copy_up
from tuibox.engine.runtime.oci_spec import with_user_mounts
from tuibox.engine.services.containers.rules.mounts import (
    TMPFS_DEFAULTS,
    parse_bind,
    parse_mount,
    parse_mounts,
    tmpfs_options,
)


def test_a_bind_with_its_mode() -> None:
    assert parse_bind("/srv/data:/data") == MountSpec(
        "bind", "/data", "/srv/data", propagation="rprivate", create_source=True)  # fmt: skip
    mount = parse_bind("/srv//data/:/data/:ro,rshared,z")
    assert (mount.source, mount.destination, mount.read_only, mount.propagation, mount.mode) == (
        "/srv/data", "/data", True, "rshared", "ro,rshared,z")  # fmt: skip


def test_a_named_volume_and_its_modes() -> None:
    assert parse_bind("cache:/var/cache:ro,nocopy") == MountSpec(
        "volume", "/var/cache", "cache", True, mode="ro,nocopy", no_copy=True)  # fmt: skip
    assert parse_bind("cache:/c").mode == "z"  # what Docker reports for a volume's mode


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("/a", "invalid volume specification: '/a'"),
        ("/a:/b:ro:x", "invalid volume specification"),
        (":/b", "invalid volume specification"),
        ("/a:b", "invalid mount path: 'b' mount path must be absolute"),
        ("/a:/", "destination can't be '/'"),
        ("/a:/b:bogus", "invalid mode: bogus"),
        ("/a:/b:nocopy", "invalid mode: nocopy"),
        ("vol:/b:rshared", "invalid mode: rshared"),
        ("./rel:/b", "includes invalid characters for a local volume name"),
        ("a:/b", "includes invalid characters"),  # one character is not a volume name
    ],
)
def test_bad_binds_are_refused_with_dockers_words(spec: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(")):
        parse_bind(spec)


def test_mount_objects_of_each_type() -> None:
    bind = parse_mount({"Type": "bind", "Source": "/srv", "Target": "/data", "ReadOnly": True,
                        "BindOptions": {"Propagation": "rslave"}})  # fmt: skip
    assert (bind.type, bind.source, bind.read_only, bind.propagation, bind.create_source) == (
        "bind", "/srv", True, "rslave", False)  # fmt: skip
    volume = parse_mount({"Type": "volume", "Target": "/data",
                          "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"}}})  # fmt: skip
    assert (volume.anonymous, volume.no_copy, volume.volume_labels) == (True, True, (("a", "b"),))
    tmpfs = parse_mount({"Type": "tmpfs", "Target": "/t",
                         "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 0o1770}})  # fmt: skip
    assert tmpfs.tmpfs_options == (*TMPFS_DEFAULTS, "size=1048576", "mode=1770")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"Type": "npipe", "Target": "/x"}, "mount type 'npipe' is not supported"),
        ({"Type": "bind", "Target": "/x"}, "field Source must not be empty"),
        ({"Type": "bind", "Source": "rel", "Target": "/x"}, "mount path must be absolute"),
        ({"Type": "volume", "Source": "v1"}, "field Target must not be empty"),
        ({"Type": "bind", "Source": "/a", "Target": "/x", "TmpfsOptions": {"SizeBytes": 1}},
         "TmpfsOptions is not valid for a bind mount"),
        ({"Type": "volume", "Target": "/x", "VolumeOptions": {"Subpath": "dir"}},
         "Mounts.VolumeOptions.Subpath is not supported by the tuibox engine yet"),
        ({"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {"Name": "nfs"}}},
         "volume-driver and volume-opt are not supported"),
        ({"Type": "bind", "Source": "/a", "Target": "/x", "BindOptions": {"Propagation": "up"}},
         "invalid propagation mode: up"),
        ({"Type": "bind", "Source": "/a", "Target": "/x",
          "BindOptions": {"NonRecursive": True}}, "BindOptions.NonRecursive is not supported"),
        ({"Type": "tmpfs", "Target": "/x", "Source": "/a"}, "field Source must be empty"),
        ({"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"SizeBytes": -1}},
         "SizeBytes must be a non-negative integer"),
        ({"Type": "bind", "Source": "/a", "Target": "/x", "Consistency": "cached",
          "Future": 1}, "the mount field Future is not supported"),
    ],
)  # fmt: skip
def test_bad_mount_objects_are_refused_by_name(raw: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        parse_mount(raw)


def test_tmpfs_options_override_dockers_defaults() -> None:
    assert tmpfs_options("") == ("nosuid", "nodev", "noexec")
    assert tmpfs_options("exec,size=64m,mode=1777") == ("nosuid", "nodev", "exec", "size=64m",
                                                        "mode=1777")  # fmt: skip
    assert tmpfs_options("size=1m,size=2m")[-1] == "size=2m"
    for bad in ("size=lots", "mode=999", "uid=root", "bogus", "bogus=1"):
        with pytest.raises(InvalidArgument):
            tmpfs_options(bad)


def test_every_place_a_mount_is_asked_for_and_the_image_volumes() -> None:
    body = {
        "Volumes": {"/anon": {}, "/data": {}},
        "HostConfig": {"Binds": ["/srv:/data"], "Tmpfs": {"/run": "size=1m"},
                       "Mounts": [{"Type": "volume", "Source": "v1", "Target": "/v"}]},
    }  # fmt: skip
    mounts = parse_mounts(body, {"Volumes": {"/var/lib/db": {}, "/v": {}}})
    assert [(m.type, m.destination, m.source, m.anonymous) for m in mounts] == [
        ("bind", "/data", "/srv", False),
        ("volume", "/v", "v1", False),
        ("tmpfs", "/run", "", False),
        ("volume", "/anon", "", True),
        ("volume", "/var/lib/db", "", True),  # the image's VOLUME; /v is mounted already
    ]


def test_two_mounts_on_one_path_are_refused() -> None:
    body = {"HostConfig": {"Binds": ["/a:/d"], "Tmpfs": {"/d/": ""}}}
    with pytest.raises(InvalidArgument, match="Duplicate mount point: /d"):
        parse_mounts(body, {})
    with pytest.raises(InvalidArgument, match="must be a list of objects"):
        parse_mounts({"HostConfig": {"Mounts": ["/tmp:/data"]}}, {})
    with pytest.raises(InvalidArgument, match="must be an object of mount options"):
        parse_mounts({"HostConfig": {"Tmpfs": {"/t": 1}}}, {})


def test_user_mounts_replace_defaults_on_the_same_path_and_parents_come_first() -> None:
    defaults = [{"destination": "/proc"}, {"destination": "/dev/shm"}]
    user = ({"destination": "/a/b/c"}, {"destination": "/dev/shm"}, {"destination": "/a"})
    ordered = [m["destination"] for m in with_user_mounts(defaults, user)]
    assert ordered == ["/proc", "/a", "/dev/shm", "/a/b/c"]
    assert sum(1 for m in with_user_mounts(defaults, user) if m["destination"] == "/dev/shm") == 1


def _image(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc" / "conf.d").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (rootfs / "etc" / "conf.d" / "a.conf").write_text("a")
    os.chmod(rootfs / "etc", 0o751)
    (rootfs / "etc" / "link").symlink_to("/etc/shadow")
    os.mkfifo(rootfs / "etc" / "pipe")
    return rootfs


def test_a_volume_is_filled_from_the_image_once(tmp_path: Path) -> None:
    rootfs = _image(tmp_path)
    volume = tmp_path / "vol"
    volume.mkdir()
    assert copy_up(rootfs, "/etc", volume) is True
    assert (volume / "passwd").read_text().startswith("root:")
    assert (volume / "conf.d" / "a.conf").read_text() == "a"
    assert os.readlink(volume / "link") == "/etc/shadow"  # copied as a link, never followed
    assert (volume / "pipe").is_fifo()  # made anew, not read (reading would block)
    assert volume.stat().st_mode & 0o7777 == 0o751
    (volume / "passwd").write_text("changed")
    assert copy_up(rootfs, "/etc", volume) is False  # not empty: the user's data stays
    assert (volume / "passwd").read_text() == "changed"


def test_nothing_is_copied_through_a_symlink_or_from_a_missing_path(tmp_path: Path) -> None:
    rootfs = _image(tmp_path)
    outside = tmp_path / "host-secret"
    outside.mkdir()
    (outside / "key").write_text("secret")
    (rootfs / "escape").symlink_to(outside)
    volume = tmp_path / "vol"
    volume.mkdir()
    assert copy_up(rootfs, "/escape", volume) is False
    assert copy_up(rootfs, "/no/such/dir", volume) is False
    assert list(volume.iterdir()) == []
