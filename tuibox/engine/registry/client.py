"""OCI distribution client on httpx: endpoint fallback, manifests, verified blobs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tuibox.engine.domain.errors import EngineError, InvalidArgument, NotFound, Unavailable
from tuibox.engine.domain.platform import Platform
from tuibox.engine.domain.reference import Reference
from tuibox.engine.registry.auth import Authorizer, Credentials, TokenCache
from tuibox.engine.registry.endpoints import Endpoint, pull_endpoints
from tuibox.engine.registry.manifests import (
    ACCEPT_HEADER,
    INDEX_TYPES,
    MAX_MANIFEST_BYTES,
    Descriptor,
    ImageManifest,
    parse_document,
    parse_image_manifest,
    select_platform,
)
from tuibox.engine.registry.retries import MAX_RESUMES, resumed_at, retry_delay
from tuibox.engine.registry.tls import certs_signature, tls_context

log = logging.getLogger(__name__)

_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
Body = bytes | AsyncIterable[bytes]


class RepositoryMissing(NotFound):
    """The registry does not know the repository (or denies it)."""


class ManifestMissing(NotFound):
    """The repository exists but not the tag or digest."""


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ResolvedImage:
    """The outcome of manifest resolution on one endpoint."""

    endpoint: Endpoint
    digest: str
    manifest: ImageManifest
    manifest_bytes: bytes
    manifest_digest: str


class RepositorySession:
    """Requests to one repository on one endpoint, authorized as its registry asks.

    ssl.SSLError is caught beside httpx's errors: a client certificate the registry rejects
    is only told after the handshake (TLS 1.3), at the first read, where httpx passes it on.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        endpoint: Endpoint,
        reference: Reference,
        credentials: Credentials | None,
        tokens: TokenCache | None = None,
        actions: str = "pull",
    ) -> None:
        self.http = http
        self.endpoint = endpoint
        self.reference = reference
        self.skipped: list[tuple[str, str]] = []
        """(mirror URL, why) for each mirror tried before this endpoint that failed."""
        self.credentials = None if endpoint.is_mirror else credentials
        scope = f"repository:{reference.repository}:{actions}"
        self.auth = Authorizer(
            http, tokens or TokenCache(), endpoint.base_url, self.credentials, scope
        )

    def _url(self, kind: str, ref: str) -> str:
        return f"{self.endpoint.base_url}/v2/{self.reference.repository}/{kind}/{ref}"

    async def send(self, url: str, accept: str | None = None) -> httpx.Response:
        """GET `url` streaming, authorized; the caller closes the response.

        Raises:
            Unavailable: the endpoint cannot be reached.
            Unauthorized: the token server refused.
        """
        return await self.request("GET", url, {"Accept": accept} if accept else {})

    async def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: Callable[[], Body] | None = None,
    ) -> httpx.Response:
        """Send a request streaming, answering the registry's 401 challenges.

        `body` makes the request's content afresh for each attempt. Redirects are
        followed; httpx drops the Authorization header when one leads to another host
        (a blob served from a CDN). The caller closes the response.

        Raises:
            Unavailable: the endpoint cannot be reached.
            Unauthorized: the token server refused.
        """
        retried = False
        retries = 0
        while True:
            sent = {**(headers or {}), **await self.auth.headers()}
            request = self.http.build_request(
                method, url, headers=sent, content=body() if body else None
            )
            try:
                response = await self.http.send(request, stream=True)
            except (httpx.HTTPError, ssl.SSLError) as err:
                raise Unavailable(
                    f"registry {self.endpoint.host} is unreachable: {err or type(err).__name__}"
                ) from None
            delay = retry_delay(response, retries)
            if delay is not None:
                log.info("registry %s answered %s %s: HTTP %d; again in %.1f s",
                         self.endpoint.host, method, url, response.status_code, delay)
                await response.aclose()
                retries += 1
                await asyncio.sleep(delay)
                continue
            if not self.auth.retry_after(response, sent, retried):
                return response
            retried = retried or "Authorization" in sent
            await response.aclose()

    async def fetch_manifest(self, ref: str) -> tuple[bytes, str, str]:
        """GET a manifest by tag or digest; returns body, media type header and digest.

        Raises:
            RepositoryMissing, ManifestMissing: the registry said so.
            InvalidArgument: the body does not hash to the requested or announced digest.
        """
        response = await self.send(self._url("manifests", ref), ACCEPT_HEADER)
        try:
            if response.status_code != 200:
                raise await self._error_for(response)
            body = await _read_capped(response, MAX_MANIFEST_BYTES, "manifest")
        finally:
            await response.aclose()
        digest = _sha256(body)
        announced = response.headers.get("docker-content-digest")
        expected = ref if ref.startswith("sha256:") else announced
        if expected and expected != digest:
            raise InvalidArgument(
                f"manifest digest mismatch from {self.endpoint.host}: expected {expected}, "
                f"the content hashes to {digest}"
            )
        return body, response.headers.get("content-type", ""), digest

    async def fetch_blob(self, descriptor: Descriptor) -> bytes:
        """GET a small blob (a config) whole and verify size and digest.

        Raises:
            InvalidArgument: size or digest mismatch.
        """
        chunks = [chunk async for chunk in self.stream_blob(descriptor)]
        data = b"".join(chunks)
        if _sha256(data) != descriptor.digest:
            raise InvalidArgument(f"digest mismatch for blob {descriptor.digest}")
        return data

    async def stream_blob(self, descriptor: Descriptor) -> AsyncGenerator[bytes, None]:
        """Yield a blob's bytes; more than the descriptor's size aborts (digest: caller).

        A download that drops part-way resumes from where it stopped with a Range request,
        a few times; a registry that answers the Range with the whole blob is refused.
        """
        url = self._url("blobs", descriptor.digest)
        received = 0
        for resumes in range(MAX_RESUMES + 1):
            headers = {"Range": f"bytes={received}-"} if received else {}
            response = await self.request("GET", url, headers)
            try:
                self._check_blob_answer(response, descriptor, received)
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > descriptor.size:
                        raise InvalidArgument(
                            f"blob {descriptor.digest} is larger than its announced "
                            f"{descriptor.size} bytes"
                        )
                    yield chunk
                return
            except (httpx.HTTPError, ssl.SSLError) as err:
                if resumes == MAX_RESUMES or received >= descriptor.size:
                    raise Unavailable(
                        f"download of {descriptor.digest} was interrupted: {err}"
                    ) from None
                log.info("download of %s dropped at %d bytes (%s); resuming", descriptor.digest,
                         received, err)  # fmt: skip
            finally:
                await response.aclose()

    def _check_blob_answer(self, response: httpx.Response, descriptor: Descriptor,
                           received: int) -> None:  # fmt: skip
        """200 for a whole blob; 206 starting where the download stopped for a resume."""
        if received == 0 and response.status_code == 200:
            return
        if received and resumed_at(response) == received:
            return
        what = f"resuming blob {descriptor.digest} at byte {received}" if received else (
            f"fetching blob {descriptor.digest}")  # fmt: skip
        raise Unavailable(f"{what} from {self.endpoint.host} failed: HTTP {response.status_code}")

    async def _error_for(self, response: httpx.Response) -> EngineError:
        body = (await _read_capped(response, 64 * 1024, "error")).decode(errors="replace")
        status = response.status_code
        if status == 404 and "NAME_UNKNOWN" not in body and await self._repository_exists():
            return ManifestMissing(
                f"manifest for {self.reference.familiar} not found: manifest unknown: "
                "manifest unknown"
            )
        if status in (401, 403, 404):
            return RepositoryMissing(
                f"pull access denied for {self.reference.familiar_name}, repository does not "
                "exist or may require 'docker login': denied: requested access to the "
                "resource is denied"
            )
        if status == 429:
            return Unavailable(f"toomanyrequests: {self.endpoint.host} rate-limits pulls")
        return Unavailable(f"registry {self.endpoint.host} answered HTTP {status}: {body[:200]}")


    async def _repository_exists(self) -> bool:
        """Tell a missing tag from a missing repository: registries answer both MANIFEST_UNKNOWN."""
        url = f"{self.endpoint.base_url}/v2/{self.reference.repository}/tags/list?n=1"
        response = await self.send(url)
        try:
            body = (await _read_capped(response, 64 * 1024, "tag list")).decode(errors="replace")
        finally:
            await response.aclose()
        return not (response.status_code == 404 and "NAME_UNKNOWN" in body)


async def _read_capped(response: httpx.Response, limit: int, what: str) -> bytes:
    """The whole body, at most `limit` bytes.

    Raises:
        InvalidArgument: the body is larger.
        Unavailable: the connection dropped before the body ended (a cut manifest).
    """
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raise InvalidArgument(f"registry {what} is larger than {limit} bytes")
            chunks.append(chunk)
    except httpx.HTTPError as err:
        raise Unavailable(f"the registry's {what} was cut short: {err}") from None
    return b"".join(chunks)


class RegistryClient:
    """Resolves references over the configured endpoints and hands out sessions.

    Lifecycle: one per engine; `aclose` at shutdown. Tests pass an httpx MockTransport.
    """

    def __init__(
        self,
        mirrors: tuple[str, ...] = (),
        insecure: tuple[str, ...] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.mirrors = mirrors
        self.insecure = insecure
        self.transport = transport
        self.http = httpx.AsyncClient(transport=transport, timeout=_TIMEOUT, follow_redirects=True)
        """Plain HTTP and HTTPS with the system CAs only (for callers without an endpoint)."""
        self.certs_dir: Path | None = None
        """certs.d beside the engine config: per-registry CAs and client certificates."""
        self._tls_clients: dict[tuple[str, bool], tuple[object, httpx.AsyncClient]] = {}
        self.tokens = TokenCache()
        self.credential_lookup: Callable[[str], Credentials | None] = lambda _domain: None
        """The stored login for a registry (`docker.io`, `host:port`): used when a client
        sends no credentials of its own; the engine's login service installs it."""

    async def aclose(self) -> None:
        await self.http.aclose()
        for _signature, client in self._tls_clients.values():
            await client.aclose()

    def client_for(self, endpoint: Endpoint) -> httpx.AsyncClient:
        """The HTTP client for an endpoint: its certs.d CAs and client certificate, and no
        certificate check for an insecure registry's HTTPS attempt.

        Raises:
            InvalidArgument: the host's certs.d folder is unusable.
        """
        if self.transport is not None or not endpoint.base_url.startswith("https://"):
            return self.http
        host = endpoint.host
        signature = certs_signature(self.certs_dir, host)
        key = (host, endpoint.tls_verify)
        cached = self._tls_clients.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        context = tls_context(self.certs_dir, host, endpoint.tls_verify)
        client = httpx.AsyncClient(verify=context, timeout=_TIMEOUT, follow_redirects=True)
        self._tls_clients[key] = (signature, client)
        return client  # a replaced client is left to the garbage collector: sessions may hold it

    async def first_answering(self, endpoints: list[Endpoint]) -> Endpoint:
        """The first endpoint whose GET /v2/ gets an HTTP answer (of any status), as
        dockerd pings before a push or a login; a refused TLS handshake moves on at once.

        Raises:
            Unavailable: none answered (the last one's error).
        """
        failure = ""
        for endpoint in endpoints:
            try:
                response = await self.client_for(endpoint).get(f"{endpoint.base_url}/v2/")
            except (httpx.HTTPError, ssl.SSLError) as err:
                failure = f"registry {endpoint.host} is unreachable: {err or type(err).__name__}"
                log.info("%s over %s", failure, endpoint.base_url.split(":", 1)[0])
                continue
            await response.aclose()
            return endpoint
        raise Unavailable(failure or "no registry endpoint to try")

    async def resolve(
        self, reference: Reference, credentials: Credentials | None = None,
        platform: Platform | None = None,
    ) -> tuple[RepositorySession, ResolvedImage]:  # fmt: skip
        """Find the image manifest (for `platform`, the host's by default, in a manifest
        list), trying mirrors (Hub names only) then the registry.

        Raises:
            NotFound: the repository or tag is missing everywhere that answered.
            Unavailable: no endpoint could be reached.
            InvalidArgument: a document failed verification on the last endpoint.
        """
        errors: list[EngineError] = []
        tried: list[Endpoint] = []
        credentials = credentials or self.credential_lookup(reference.domain)
        for endpoint in pull_endpoints(reference, self.mirrors, self.insecure):
            session = RepositorySession(self.client_for(endpoint), endpoint, reference,
                                        credentials, self.tokens)  # fmt: skip
            try:
                resolved = await self._resolve_on(session, platform)
                session.skipped = [(e.base_url, str(err)) for e, err in zip(tried, errors,
                                   strict=True) if e.is_mirror]  # fmt: skip
                return session, resolved
            except EngineError as err:
                log.info("pull of %s from %s failed: %s", reference, endpoint.base_url, err)
                errors.append(err)
                tried.append(endpoint)
        not_found = [e for e in errors if isinstance(e, NotFound)]
        if not_found:
            raise not_found[-1]
        own = [(e, err) for e, err in zip(tried, errors, strict=True) if not e.is_mirror]
        if len(own) > 1 and all(isinstance(err, Unavailable) for _e, err in own):
            # an insecure registry's HTTPS and HTTP attempts: both reasons, the TLS one first
            raise Unavailable("; ".join(f"{e.base_url.split(':', 1)[0]}: {err}" for e, err in own))
        raise errors[-1]

    async def _resolve_on(
        self, session: RepositorySession, platform: Platform | None = None
    ) -> ResolvedImage:
        reference = session.reference
        ref = reference.digest or reference.tag or "latest"
        body, content_type, digest = await session.fetch_manifest(ref)
        media_type, document = parse_document(body, content_type)
        top_digest = digest
        for _ in range(2):
            if media_type not in INDEX_TYPES:
                break
            chosen = select_platform(document, reference.familiar, platform)
            body, content_type, digest = await session.fetch_manifest(chosen.digest)
            media_type, document = parse_document(body, content_type)
        if media_type in INDEX_TYPES:
            raise InvalidArgument(f"the manifest list of {reference.familiar} nests too deeply")
        manifest = parse_image_manifest(media_type, document)
        return ResolvedImage(session.endpoint, top_digest, manifest, body, digest)
