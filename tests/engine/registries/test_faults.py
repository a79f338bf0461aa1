"""The registry client through a fault-injecting proxy in front of docker-registry: 5xx and
429 sent again (Retry-After honoured), then reported; a dropped blob resumed with Range."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fault_proxy import Fault, FaultProxy
from tuibox.demo.images import BuiltImage
from tuibox.demo.registry import REGISTRY_BINARY, LocalRegistry
from tuibox.engine.domain.errors import Unavailable
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.manifests import Descriptor

pytestmark = [
    pytest.mark.registry,
    pytest.mark.skipif(
        not os.environ.get("CI")
        and not (REGISTRY_BINARY.exists() and Path("/bin/busybox").exists()),
        reason="needs docker-registry and busybox-static (scripts/install-deps.sh installs them)",
    ),
]


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
