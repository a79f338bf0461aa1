"""Tests the demo image builder: determinism, digests, and sane layer entries."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import posixpath
import tarfile
from pathlib import Path

import pytest

from tuibox.demo import images as images_module
from tuibox.demo.greeting import GREETING_FIRST_LINE
from tuibox.demo.images import BuiltImage, build_demo_images, is_static_elf
from tuibox.demo.layer import build_layer, dir_entry, file_entry, relative_symlink
from tuibox.demo.registry import render_config
from tuibox.demo.setup import update_engine_config
from tuibox.engine.domain.platform import go_arch

needs_busybox = pytest.mark.skipif(
    not os.environ.get("CI") and not Path("/bin/busybox").exists(),
    reason="needs /bin/busybox from busybox-static (scripts/install-deps.sh installs it)",
)


def _fresh_build(fmt: images_module.ManifestFormat = "docker") -> list[BuiltImage]:
    images_module._build_cached.cache_clear()
    return build_demo_images(manifest_format=fmt)


def _build(fmt: images_module.ManifestFormat = "docker") -> list[BuiltImage]:
    return build_demo_images(manifest_format=fmt)


def _members(image: BuiltImage) -> list[tarfile.TarInfo]:
    plain = gzip.decompress(image.layers[0].data)
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return tar.getmembers()


@needs_busybox
def test_two_builds_give_identical_digests() -> None:
    first = _fresh_build()
    second = _fresh_build()
    assert [i.manifest.digest for i in first] == [i.manifest.digest for i in second]
    assert [i.layers[0].data for i in first] == [i.layers[0].data for i in second]
    assert [i.name for i in first] == ["hello-world", "busybox"]


@needs_busybox
@pytest.mark.parametrize("fmt", ["docker", "oci"])
def test_manifest_references_config_and_layers(fmt: images_module.ManifestFormat) -> None:
    for image in _build(fmt):
        manifest = json.loads(image.manifest.data)
        assert manifest["schemaVersion"] == 2
        assert manifest["mediaType"] == image.manifest.media_type
        assert manifest["config"] == {
            "mediaType": image.config.media_type,
            "size": len(image.config.data),
            "digest": "sha256:" + hashlib.sha256(image.config.data).hexdigest(),
        }
        layer = image.layers[0]
        assert manifest["layers"] == [{
            "mediaType": layer.media_type,
            "size": len(layer.data),
            "digest": "sha256:" + hashlib.sha256(layer.data).hexdigest(),
        }]


@needs_busybox
def test_diff_id_is_digest_of_uncompressed_tar() -> None:
    for image in _build():
        config = json.loads(image.config.data)
        plain = gzip.decompress(image.layers[0].data)
        expected = "sha256:" + hashlib.sha256(plain).hexdigest()
        assert config["rootfs"] == {"type": "layers", "diff_ids": [expected]}
        assert image.diff_ids == (expected,)
        assert config["os"] == "linux"
        assert config["architecture"] == go_arch()


@needs_busybox
def test_config_commands() -> None:
    hello, box = _build()
    assert json.loads(hello.config.data)["config"]["Cmd"] == ["/hello"]
    assert json.loads(box.config.data)["config"]["Cmd"] == ["sh"]
    assert json.loads(box.config.data)["config"]["WorkingDir"] == "/"


@needs_busybox
def test_layer_entries_stay_inside_the_rootfs() -> None:
    for image in _build():
        members = _members(image)
        for member in members:
            parts = member.name.rstrip("/").split("/")
            assert not member.name.startswith("/"), member.name
            assert ".." not in parts, member.name
            assert member.uid == member.gid == 0
            assert member.mtime == members[0].mtime
            if member.issym():
                assert not member.linkname.startswith("/")
                resolved = posixpath.normpath(
                    posixpath.join(posixpath.dirname(member.name), member.linkname)
                )
                assert resolved == "bin/busybox", (member.name, member.linkname)


@needs_busybox
def test_busybox_image_has_applets_and_basics() -> None:
    _, box = _build()
    names = {m.name.rstrip("/"): m for m in _members(box)}
    for path in ("bin/busybox", "bin/sh", "bin/ls", "etc/passwd", "etc/group",
                 "tmp", "root", "proc", "sys", "dev"):
        assert path in names, path
    assert names["tmp"].mode == 0o1777
    assert is_static_elf(Path("/bin/busybox").read_bytes())


@needs_busybox
def test_hello_world_script_prints_our_greeting() -> None:
    hello, _ = _build()
    plain = gzip.decompress(hello.layers[0].data)
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        extracted = tar.extractfile("hello")
        assert extracted is not None
        script = extracted.read().decode()
    assert script.startswith("#!/bin/sh\n")
    assert GREETING_FIRST_LINE in script
    assert "Hello from Docker!" not in script


def test_gzip_layer_is_deterministic_without_busybox() -> None:
    entries = [dir_entry("bin"), file_entry("bin/tool", b"x", 0o755),
               relative_symlink("usr/bin/t", "bin/tool")]
    first, second = build_layer(entries), build_layer(list(reversed(entries)))
    assert first.compressed == second.compressed
    assert first.compressed[4:8] == b"\0\0\0\0"  # gzip header MTIME field


@pytest.mark.parametrize("bad", ["/etc/passwd", "a/../b", "", "a//b"])
def test_layer_refuses_unsafe_paths(bad: str) -> None:
    with pytest.raises(ValueError):
        build_layer([file_entry(bad, b"")])


def test_static_elf_detection() -> None:
    assert not is_static_elf(b"#!/bin/sh\n" + b"\0" * 64)
    assert not is_static_elf(Path("/bin/ls").read_bytes())  # coreutils: dynamically linked
    assert go_arch("x86_64") == "amd64"
    assert go_arch("aarch64") == "arm64"


def test_engine_config_update_keeps_other_keys(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "engine.json"
    config.parent.mkdir()
    config.write_text(json.dumps({
        "log-level": "debug",
        "registry-mirrors": ["https://mirror.example", "http://127.0.0.1:5000"],
    }))
    update_engine_config(config, "http://127.0.0.1:5000", "127.0.0.1:5000")
    update_engine_config(config, "http://127.0.0.1:5000", "127.0.0.1:5000")
    assert json.loads(config.read_text()) == {
        "log-level": "debug",
        "registry-mirrors": ["http://127.0.0.1:5000", "https://mirror.example"],
        "insecure-registries": ["127.0.0.1:5000"],
    }
    assert [p.name for p in config.parent.iterdir()] == ["engine.json"]


def test_engine_config_update_creates_file_and_refuses_non_objects(tmp_path: Path) -> None:
    created = tmp_path / "new" / "engine.json"
    update_engine_config(created, "http://127.0.0.1:5001", "127.0.0.1:5001")
    assert json.loads(created.read_text())["registry-mirrors"] == ["http://127.0.0.1:5001"]
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        update_engine_config(broken, "http://127.0.0.1:5001", "127.0.0.1:5001")
    assert broken.read_text() == "[1, 2]"


def test_registry_config_listens_on_loopback_without_auth(tmp_path: Path) -> None:
    text = render_config(tmp_path / "data", 5123)
    assert 'addr: "127.0.0.1:5123"' in text
    assert f"rootdirectory: {json.dumps(str(tmp_path / 'data'))}" in text
    assert "auth" not in text
    assert "level: warn" in text
