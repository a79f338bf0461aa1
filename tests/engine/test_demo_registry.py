"""Tests the loopback registry: start, push both demo images, read them back, stop cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.engine.marks import NEEDS_REGISTRY
from tuibox.demo.images import build_demo_images
from tuibox.demo.push import push_image, seed_registry
from tuibox.demo.registry import LocalRegistry, free_loopback_port
from tuibox.demo.setup import setup_demo, stop_demo

pytestmark = NEEDS_REGISTRY

ACCEPT = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    with LocalRegistry(tmp_path / "registry") as running:
        yield running


def _listening_addresses(pid: int) -> set[str]:
    connections = psutil.Process(pid).net_connections(kind="inet")
    return {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}


def test_registry_binds_loopback_only_and_stops(tmp_path: Path) -> None:
    registry = LocalRegistry(tmp_path / "registry")
    registry.start()
    pid = registry.pid
    assert pid is not None
    try:
        assert httpx.get(f"{registry.url}/v2/").status_code == 200
        assert _listening_addresses(pid) == {"127.0.0.1"}
    finally:
        registry.stop()
    assert not _still_running(pid)
    assert registry.pid is None


def test_push_both_images_and_read_manifests_back(registry: LocalRegistry) -> None:
    digests = seed_registry(registry.url)
    for image in build_demo_images():
        response = httpx.get(
            f"{registry.url}/v2/library/{image.name}/manifests/latest",
            headers={"Accept": ACCEPT},
        )
        assert response.status_code == 200
        assert response.content == image.manifest.data
        assert response.headers["Docker-Content-Digest"] == digests[image.name]
        assert digests[image.name] == image.manifest.digest
        assert response.headers["Content-Type"] == image.manifest.media_type
        blob_url = f"{registry.url}/v2/library/{image.name}/blobs/{image.layers[0].digest}"
        layer = httpx.get(blob_url)
        assert layer.content == image.layers[0].data


def test_push_is_idempotent_and_supports_oci(registry: LocalRegistry) -> None:
    oci_hello = build_demo_images(manifest_format="oci")[0]
    first = push_image(registry.url, oci_hello, "demo/hello-oci")
    second = push_image(registry.url, oci_hello, "demo/hello-oci")
    assert first == second == oci_hello.manifest.digest
    response = httpx.get(
        f"{registry.url}/v2/demo/hello-oci/manifests/{first}", headers={"Accept": ACCEPT}
    )
    assert response.headers["Content-Type"] == "application/vnd.oci.image.manifest.v1+json"


def test_setup_and_stop_demo(tmp_path: Path) -> None:
    engine_config = tmp_path / "etc" / "engine.json"
    engine_config.parent.mkdir()
    engine_config.write_text(json.dumps({"log-level": "debug"}))
    port = free_loopback_port()
    done = setup_demo(tmp_path / "state", port, engine_config)
    try:
        again = setup_demo(tmp_path / "state", port, engine_config)
        assert again.reused and again.registry_pid == done.registry_pid
        config = json.loads(engine_config.read_text())
        assert config["log-level"] == "debug"
        assert config["registry-mirrors"] == [f"http://127.0.0.1:{port}"]
        assert config["insecure-registries"] == [f"127.0.0.1:{port}"]
        assert set(done.digests) == {"hello-world", "busybox"}
    finally:
        assert stop_demo(tmp_path / "state")
    assert not _still_running(done.registry_pid)
    assert not stop_demo(tmp_path / "state")


def _still_running(pid: int) -> bool:
    """True while the process lives; a zombie waiting for init to reap it has ended."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
