"""Blob uploads and manifest PUTs against docker-registry behind the fake token server:
chunked and monolithic uploads, mounts, push scopes, and refusals in the registry's words."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from tests.engine.marks import NEEDS_REGISTRY
from tests.engine.registries.conftest import USER
from tests.engine.registries.servers import ConfiguredRegistry
from tests.fakes.token_server import FakeTokenServer
from tuibox.demo.images import BuiltImage
from tuibox.engine.domain.errors import Unauthorized
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import TokenCache
from tuibox.engine.registry.client import RepositorySession
from tuibox.engine.registry.endpoints import Endpoint
from tuibox.engine.registry.manifests import DOCKER_MANIFEST
from tuibox.engine.registry.upload import BlobUploader

pytestmark = NEEDS_REGISTRY
CHUNK = 256 * 1024


def uploader_for(registry: ConfiguredRegistry, http: httpx.AsyncClient, repository: str,
                 authenticated: bool = True) -> BlobUploader:  # fmt: skip
    session = RepositorySession(
        http, Endpoint(registry.url), parse_reference(f"{registry.host}/{repository}"),
        USER if authenticated else None, TokenCache(), actions="pull,push",
    )  # fmt: skip
    return BlobUploader(session, chunk_size=CHUNK)


def blob_file(tmp_path: Path, size: int) -> tuple[Path, str]:
    data = os.urandom(size)
    path = tmp_path / f"blob-{size}"
    path.write_bytes(data)
    return path, "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [1000, 3 * CHUNK + 17])
async def test_upload_monolithic_and_chunked(
    token_registry: ConfiguredRegistry, server: FakeTokenServer, tmp_path: Path, size: int
) -> None:
    path, digest = blob_file(tmp_path, size)
    sent: list[int] = []
    async with httpx.AsyncClient() as http:
        uploader = uploader_for(token_registry, http, "up/blobs")
        assert not await uploader.exists(digest)
        await uploader.upload(path, digest, sent.append)
        assert await uploader.exists(digest)
        fetched = await uploader.session.send(f"{token_registry.url}/v2/up/blobs/blobs/{digest}")
        assert (await fetched.aread()) == path.read_bytes()
        await fetched.aclose()
    assert sent[-1] == size and sent == sorted(sent)
    assert server.requests[0].scopes == ("repository:up/blobs:pull,push",)
    assert {r.user for r in server.requests} == {USER.username}


async def test_chunks_follow_each_location(
    token_registry: ConfiguredRegistry, server: FakeTokenServer, tmp_path: Path
) -> None:
    path, digest = blob_file(tmp_path, 2 * CHUNK + 1)
    seen: list[tuple[str, str]] = []

    async def record(request: httpx.Request) -> None:
        seen.append((request.method, str(request.url)))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        await uploader_for(token_registry, http, "up/chunks").upload(path, digest, lambda _: None)
    patches = [url for method, url in seen if method == "PATCH"]
    assert len(patches) == 3 and len(set(patches)) == 3  # each to the Location before it
    assert [m for m, _ in seen if m in ("PATCH", "PUT")][-1] == "PUT"


async def test_mount_from_another_repository_and_manifest_put(
    token_registry: ConfiguredRegistry, server: FakeTokenServer,
    storage: tuple[Path, dict[str, BuiltImage]],
) -> None:  # fmt: skip
    image = storage[1]["team/box"]
    async with httpx.AsyncClient() as http:
        uploader = uploader_for(token_registry, http, "up/mounted")
        uploader.session.auth.add_scope("repository:team/box:pull")
        for blob in (*image.layers, image.config):
            assert await uploader.mount(blob.digest, "team/box")
        assert not await uploader.mount("sha256:" + "0" * 64, "team/box")
        digest = await uploader.put_manifest("v1", image.manifest.data, DOCKER_MANIFEST)
    assert digest == image.manifest.digest
    assert server.requests[0].scopes == ("repository:up/mounted:pull,push",
                                         "repository:team/box:pull")  # fmt: skip


async def test_anonymous_push_is_refused_in_the_registrys_words(
    token_registry: ConfiguredRegistry, server: FakeTokenServer, tmp_path: Path
) -> None:
    path, digest = blob_file(tmp_path, 100)
    async with httpx.AsyncClient() as http:
        uploader = uploader_for(token_registry, http, "up/anon", authenticated=False)
        with pytest.raises(Unauthorized, match=r"^unauthorized: authentication required$"):
            await uploader.upload(path, digest, lambda _: None)
