"""The push side of the distribution API: blob existence, mounts, uploads and manifest PUT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from tuibox.engine.domain.errors import EngineError, InvalidArgument, Unauthorized, Unavailable
from tuibox.engine.registry.auth import registry_error_text
from tuibox.engine.registry.client import RepositorySession

CHUNK_SIZE = 16 * 1024 * 1024
"""Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size."""
_READ_SIZE = 1024 * 1024
_MAX_ERROR_BYTES = 64 * 1024

Progress = Callable[[int], None]
"""Told the number of bytes of the blob sent so far."""


class BlobUploader:
    """Uploads blobs and manifests to one repository through its (push-scoped) session."""

    def __init__(self, session: RepositorySession, chunk_size: int = CHUNK_SIZE) -> None:
        self.session = session
        self.chunk_size = chunk_size
        self._base = f"{session.endpoint.base_url}/v2/{session.reference.repository}"

    async def exists(self, digest: str) -> bool:
        """HEAD the blob: True when the repository already has it."""
        return await self.size_of(digest) is not None

    async def size_of(self, digest: str) -> int | None:
        """HEAD the blob: its size when the repository has it, else None.

        Raises:
            Unauthorized, Unavailable: the registry refused or failed.
        """
        response = await self.session.request("HEAD", f"{self._base}/blobs/{digest}")
        if response.status_code not in (200, 404):
            raise await _failure(response, f"checking blob {digest}")
        await response.aclose()
        if response.status_code == 404:
            return None
        length = response.headers.get("content-length", "")
        if not length.isdigit():
            raise InvalidArgument(f"the registry answered HEAD {digest} without a size")
        return int(length)

    async def mount(self, digest: str, source: str) -> bool:
        """Ask for a cross-repository mount from `source`; True when the registry did it.

        A registry that cannot mount opens an upload instead (202), which is cancelled.
        """
        url = httpx.URL(f"{self._base}/blobs/uploads/", params={"mount": digest, "from": source})
        response = await self.session.request("POST", str(url), {"Content-Length": "0"})
        if response.status_code not in (201, 202, 401, 403, 404):
            raise await _failure(response, f"mounting blob {digest} from {source}")
        await response.aclose()
        if response.status_code == 201:
            return True
        if response.status_code == 202 and "location" in response.headers:
            cancel = await self.session.request("DELETE", self._location(response))
            await cancel.aclose()
            return False
        return False  # not allowed to read the source (or gone): upload the blob instead

    async def upload(self, path: Path, digest: str, progress: Progress) -> None:
        """Upload the file at `path` as blob `digest`: one PUT, or PATCH chunks then a PUT.

        Raises:
            Unauthorized, Unavailable: the registry refused or failed; InvalidArgument when
                it stored something else than `digest`.
        """
        size = path.stat().st_size
        response = await self.session.request(
            "POST", f"{self._base}/blobs/uploads/", {"Content-Length": "0"}
        )
        if response.status_code != 202 or "location" not in response.headers:
            raise await _failure(response, f"starting the upload of {digest}")
        await response.aclose()
        location = self._location(response)
        if size > self.chunk_size:
            location = await self._patch_chunks(location, path, size, progress)
            body: Callable[[], bytes | AsyncIterator[bytes]] | None = None
            headers = {"Content-Length": "0"}
        else:
            def body() -> AsyncIterator[bytes]:
                return _read_range(path, 0, size, progress)
            headers = {"Content-Length": str(size), "Content-Type": "application/octet-stream"}
        target = httpx.URL(location).copy_merge_params({"digest": digest})
        response = await self.session.request("PUT", str(target), headers, body)
        if response.status_code != 201:
            raise await _failure(response, f"finishing the upload of {digest}")
        await response.aclose()
        stored = response.headers.get("docker-content-digest")
        if stored and stored != digest:
            raise InvalidArgument(f"the registry stored {stored} for the blob {digest}")
        progress(size)

    async def _patch_chunks(self, location: str, path: Path, size: int,
                            progress: Progress) -> str:  # fmt: skip
        """PATCH the blob in chunks, each to the Location the previous answer named."""
        for start in range(0, size, self.chunk_size):
            end = min(start + self.chunk_size, size)

            def body(start: int = start, end: int = end) -> AsyncIterator[bytes]:
                return _read_range(path, start, end, progress)

            headers = {"Content-Type": "application/octet-stream",
                       "Content-Range": f"{start}-{end - 1}",
                       "Content-Length": str(end - start)}  # fmt: skip
            response = await self.session.request("PATCH", location, headers, body)
            if response.status_code != 202 or "location" not in response.headers:
                raise await _failure(response, f"uploading bytes {start}-{end - 1}")
            await response.aclose()
            location = self._location(response)
        return location

    async def put_manifest(self, tag: str, body: bytes, media_type: str) -> str:
        """PUT the manifest under `tag`; returns the digest the registry announces.

        Raises:
            Unauthorized, Unavailable, InvalidArgument: the registry refused it.
        """
        response = await self.session.request(
            "PUT", f"{self._base}/manifests/{tag}",
            {"Content-Type": media_type, "Content-Length": str(len(body))}, lambda: body,
        )  # fmt: skip
        if response.status_code != 201:
            raise await _failure(response, f"putting the manifest for {tag}")
        await response.aclose()
        return str(response.headers.get("docker-content-digest", ""))

    def _location(self, response: httpx.Response) -> str:
        """Location may be relative to the registry (distribution sends absolute ones)."""
        return str(response.request.url.join(response.headers["location"]))


async def _read_range(path: Path, start: int, end: int, progress: Progress) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        source.seek(start)
        position = start
        while position < end:
            chunk = await asyncio.to_thread(source.read, min(_READ_SIZE, end - position))
            if not chunk:
                raise Unavailable(f"{path.name} shrank while it was being uploaded")
            position += len(chunk)
            progress(position)
            yield chunk


async def _failure(response: httpx.Response, doing: str) -> EngineError:
    """The registry's own words (`denied: requested access to the resource is denied`)."""
    body = b""
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > _MAX_ERROR_BYTES:
                break
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
    text = registry_error_text(body) or f"HTTP {response.status_code}"
    host = response.request.url.netloc.decode()
    if response.status_code in (401, 403):
        return Unauthorized(text)
    if 400 <= response.status_code < 500:
        return InvalidArgument(f"{host} refused {doing}: {text}")
    return Unavailable(f"{host} failed {doing}: {text}")
