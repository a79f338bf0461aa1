"""An in-memory OCI distribution registry for httpx.MockTransport, plus image builders."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tuibox.engine.domain.platform import go_arch
from tuibox.engine.registry.manifests import DOCKER_MANIFEST, OCI_INDEX

LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class FakeImage:
    """A one-or-more-layer image: blobs by digest, manifest bytes, config."""

    manifest: bytes
    config: bytes
    blobs: dict[str, bytes]
    diff_ids: list[str]

    @property
    def digest(self) -> str:
        return sha(self.manifest)

    @property
    def image_id(self) -> str:
        return sha(self.config)


def build_image(
    layers: Sequence[dict[str, bytes] | bytes],
    cmd: list[str] | None = None,
    config_changes: dict[str, Any] | None = None,
) -> FakeImage:
    """An image of gzip layers (a layer given as bytes is that tar, as it is);
    `config_changes` overrides top-level config keys."""
    blobs: dict[str, bytes] = {}
    descriptors = []
    diff_ids = []
    for files in layers:
        raw = files if isinstance(files, bytes) else layer_tar(files)
        compressed = gzip.compress(raw, mtime=0)
        blobs[sha(compressed)] = compressed
        diff_ids.append(sha(raw))
        descriptors.append({"mediaType": LAYER_TYPE, "digest": sha(compressed),
                            "size": len(compressed)})
    document: dict[str, Any] = {
        "architecture": go_arch(), "os": "linux",
        "created": "2024-05-01T10:00:00.123456789Z",
        "config": {"Cmd": cmd or ["sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    document.update(config_changes or {})
    config = json.dumps(document).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": CONFIG_TYPE, "digest": sha(config), "size": len(config)},
        "layers": descriptors,
    }).encode()
    return FakeImage(manifest, config, blobs, diff_ids)


def index_for(images: dict[str, FakeImage]) -> bytes:
    """An OCI index whose entries are keyed by architecture."""
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": DOCKER_MANIFEST, "digest": img.digest, "size": len(img.manifest),
             "platform": {"os": "linux", "architecture": arch}}
            for arch, img in images.items()
        ],
    }).encode()


@dataclass
class FakeRegistry:
    """Serves /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest> for one host."""

    repos: dict[str, dict[str, tuple[bytes, str]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    token: str | None = None
    lie_about_digest: bool = False
    blob_pause: float = 0.0
    """Seconds each blob body pauses half way, so downloads overlap in time."""
    blob_chunk: int = 0
    """When set, blob bodies arrive in chunks of this many bytes."""

    def add(self, repo: str, tag: str, image: FakeImage) -> None:
        tags = self.repos.setdefault(repo, {})
        tags[tag] = (image.manifest, DOCKER_MANIFEST)
        tags[image.digest] = (image.manifest, DOCKER_MANIFEST)
        self.blobs.update(image.blobs)

    def add_document(self, repo: str, tag: str, body: bytes, media_type: str) -> None:
        tags = self.repos.setdefault(repo, {})
        tags[tag] = (body, media_type)
        tags[sha(body)] = (body, media_type)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/token":
            return httpx.Response(200, json={"token": "secret-token"})
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            challenge = (f'Bearer realm="{request.url.scheme}://{request.url.netloc.decode()}/token",'
                         'service="fake",scope="repository:x:pull"')
            return httpx.Response(401, headers={"WWW-Authenticate": challenge},
                                  json={"errors": [{"code": "UNAUTHORIZED"}]})
        repo, kind, ref = _split(path)
        if kind == "tags":
            if repo not in self.repos:
                return httpx.Response(404, json={"errors": [{"code": "NAME_UNKNOWN"}]})
            return httpx.Response(200, json={"name": repo, "tags": sorted(self.repos[repo])})
        if repo not in self.repos:
            return httpx.Response(404, json={"errors": [{"code": "NAME_UNKNOWN"}]})
        if kind == "manifests":
            if ref not in self.repos[repo]:
                return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})
            body, media_type = self.repos[repo][ref]
            digest = "sha256:" + "0" * 64 if self.lie_about_digest else sha(body)
            return httpx.Response(200, content=body, headers={
                "Content-Type": media_type, "Docker-Content-Digest": digest})
        if ref not in self.blobs:
            return httpx.Response(404, json={"errors": [{"code": "BLOB_UNKNOWN"}]})
        if self.blob_pause:
            return httpx.Response(200, content=_paused(self.blobs[ref], self.blob_pause))
        if self.blob_chunk:
            return httpx.Response(200, content=_chunked(self.blobs[ref], self.blob_chunk))
        return httpx.Response(200, content=self.blobs[ref])


async def _paused(body: bytes, pause: float) -> AsyncIterator[bytes]:
    half = len(body) // 2
    yield body[:half]
    await asyncio.sleep(pause)
    yield body[half:]


def _split(path: str) -> tuple[str, str, str]:
    inner = path.removeprefix("/v2/")
    if inner.endswith("/tags/list"):
        return inner.removesuffix("/tags/list"), "tags", ""
    for kind in ("manifests", "blobs"):
        marker = f"/{kind}/"
        if marker in inner:
            repo, ref = inner.rsplit(marker, 1)
            return repo, kind, ref
    return inner, "", ""


class Network:
    """Routes requests by host to FakeRegistry instances; unknown hosts are unreachable."""

    def __init__(self, hosts: dict[str, FakeRegistry]) -> None:
        self.hosts = hosts
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.netloc.decode()
        self.seen.append(f"{request.url.scheme}://{host}{request.url.path}")
        if host not in self.hosts:
            raise httpx.ConnectError(f"connection refused by {host}", request=request)
        return self.hosts[host].handle(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


async def _chunked(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]
