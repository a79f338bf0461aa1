"""The registry client through a fault-injecting proxy in front of docker-registry: 5xx and
429 sent again (Retry-After honoured), then reported; a dropped blob resumed with Range; and
whole pulls: a corrupted blob or a cut manifest fails with the store left as it was, a slow
body still pulls, a client that leaves mid-pull ends it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.engine.marks import NEEDS_REGISTRY
from tests.fakes.fault_proxy import Fault, FaultProxy
from tuibox.demo.images import BuiltImage
from tuibox.demo.registry import LocalRegistry
from tuibox.engine.api.errors import error_middleware
from tuibox.engine.api.images import ImageRoutes
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import EngineError, Unavailable
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.manifests import Descriptor
from tuibox.engine.services.images.service import ImageService

pytestmark = NEEDS_REGISTRY


@pytest.fixture(scope="module")
def plain(storage: tuple[Path, dict[str, BuiltImage]]) -> Iterator[str]:
    """The seeded storage without auth, on plain HTTP."""
    with LocalRegistry(storage[0]) as registry:
        yield registry.url


@pytest.fixture
def proxy(plain: str) -> Iterator[FaultProxy]:
    running = FaultProxy(plain).start()
    try:
        yield running
    finally:
        running.stop()


def manifest_gets(proxy: FaultProxy) -> int:
    return sum(1 for method, path, _ in proxy.seen if method == "GET" and "/manifests/" in path)


async def test_a_503_and_a_429_are_sent_again(proxy: FaultProxy) -> None:
    proxy.faults = [Fault("/manifests/", 1, status=503),
                    Fault("/manifests/", 1, status=429, retry_after="0")]  # fmt: skip
    client = RegistryClient()
    try:
        _, resolved = await client.resolve(parse_reference(f"{proxy.host}/team/box"))
    finally:
        await client.aclose()
    assert resolved.manifest.layers
    assert manifest_gets(proxy) == 3


async def test_a_registry_that_keeps_failing_is_reported(proxy: FaultProxy) -> None:
    proxy.faults = [Fault("/manifests/", 10, status=429, retry_after="0")]
    client = RegistryClient()
    try:
        with pytest.raises(Unavailable, match="toomanyrequests"):
            await client.resolve(parse_reference(f"{proxy.host}/team/box"))
    finally:
        await client.aclose()
    assert manifest_gets(proxy) == 4  # the first and three more, then it gives up


async def test_a_dropped_blob_resumes_with_a_range_request(
    proxy: FaultProxy, storage: tuple[Path, dict[str, BuiltImage]]
) -> None:
    layer = storage[1]["team/box"].layers[0]
    proxy.faults = [Fault("/blobs/", 2, cut_after=layer.size // 3)]
    client = RegistryClient()
    try:
        session, _ = await client.resolve(parse_reference(f"{proxy.host}/team/box"))
        data = b"".join([c async for c in session.stream_blob(
            Descriptor("x", layer.digest, layer.size))])  # fmt: skip
    finally:
        await client.aclose()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == layer.digest
    ranges = [r for method, path, r in proxy.seen if "/blobs/" in path]
    assert ranges[0] == "" and ranges[1] == f"bytes={layer.size // 3}-"
    assert len(ranges) == 3


async def test_a_blob_that_keeps_dropping_is_reported(
    proxy: FaultProxy, storage: tuple[Path, dict[str, BuiltImage]]
) -> None:
    layer = storage[1]["team/box"].layers[0]
    proxy.faults = [Fault("/blobs/", 10, cut_after=10)]
    client = RegistryClient()
    try:
        session, _ = await client.resolve(parse_reference(f"{proxy.host}/team/box"))
        with pytest.raises(Unavailable, match="was interrupted"):
            async for _chunk in session.stream_blob(Descriptor("x", layer.digest, layer.size)):
                pass
    finally:
        await client.aclose()


async def pull_through(proxy: FaultProxy, root: Path) -> tuple[ImageService, list[str]]:
    images = ImageService.open(EngineConfig(data_root=root))
    try:
        statuses = [m.get("status", "") async for m in images.pull(f"{proxy.host}/team/box",
                                                                   "latest", None)]  # fmt: skip
    finally:
        await images.aclose()
    return images, statuses


def stored(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for area in ("layers", "images", "content")
                  for p in (root / area).rglob("*") if p.is_file())  # fmt: skip


@pytest.mark.parametrize("which", ["config", "layer"])
async def test_a_blob_with_a_wrong_digest_fails_the_pull_and_keeps_nothing(
    proxy: FaultProxy, storage: tuple[Path, dict[str, BuiltImage]], tmp_path: Path, which: str
) -> None:
    image = storage[1]["team/box"]
    blob = image.config if which == "config" else image.layers[0]
    ImageService.open(EngineConfig(data_root=tmp_path))  # the empty stores
    before = stored(tmp_path)
    proxy.faults = [Fault(blob.digest, 10, corrupt_at=min(100, blob.size - 1))]
    with pytest.raises(EngineError, match=r"does not match|digest mismatch|does not hash"):
        await pull_through(proxy, tmp_path)
    assert stored(tmp_path) == before


async def test_a_truncated_manifest_is_reported_and_keeps_nothing(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    ImageService.open(EngineConfig(data_root=tmp_path))
    before = stored(tmp_path)
    proxy.faults = [Fault("/manifests/", 10, cut_after=40)]
    with pytest.raises(Unavailable, match="manifest was cut short"):
        await pull_through(proxy, tmp_path)
    assert stored(tmp_path) == before


async def test_a_slow_body_still_pulls_whole(proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.faults = [Fault("/blobs/", 10, slow_chunks=8, slow_delay=0.02)]
    _, statuses = await pull_through(proxy, tmp_path)
    assert statuses[-1] == f"Status: Downloaded newer image for {proxy.host}/team/box:latest"
    slowed = [path for method, path, _ in proxy.seen if "/blobs/" in path and method == "GET"]
    assert slowed  # the blobs did go through the slow path


async def test_a_client_that_leaves_mid_pull_cancels_it_and_nothing_is_kept(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    """What the TUI's Esc does: it closes the pull's stream; the engine's route notices the
    client is gone, ends the pull and removes what it had stored (through the real routes)."""
    images = ImageService.open(EngineConfig(data_root=tmp_path))
    app = web.Application(middlewares=[error_middleware])
    app.add_routes(ImageRoutes(images).routes())
    before = stored(tmp_path)
    proxy.faults = [Fault("/blobs/", 10, slow_chunks=60, slow_delay=0.05)]  # 3 s a blob
    try:
        async with TestClient(TestServer(app)) as api:
            response = await api.post("/images/create",
                                      params={"fromImage": f"{proxy.host}/team/box",
                                              "tag": "latest"})  # fmt: skip
            while b"Downloading" not in await response.content.readline():
                pass
            response.close()  # the connection goes, as when the TUI's dialog is cancelled
            await asyncio.sleep(4)  # past the time the blobs needed: a pull left on finishes
            assert images.image_count() == 0
            assert stored(tmp_path) == before
    finally:
        await images.aclose()
