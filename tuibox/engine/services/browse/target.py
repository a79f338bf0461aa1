"""Provides BrowseTarget: where a registry named host[:port] is reached, and authorized GETs."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from tuibox.engine.domain.errors import InvalidArgument, Unavailable
from tuibox.engine.domain.reference import DOCKER_HUB
from tuibox.engine.registry.auth import Authorizer, Credentials
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import DOCKER_HUB_API, Endpoint, registry_endpoints

HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HOST_PORT = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?"
)
MAX_LISTING_BYTES = 4 * 1024 * 1024
"""A catalog or tag list page larger than this is refused (a page of n <= 1000 names is far
smaller)."""

CredentialLookup = Callable[[str], Credentials | None]
"""The login stored for a registry key (docker.io or host[:port]), None without one."""


@dataclass(frozen=True)
class BrowseTarget:
    """One registry to browse: its key (docker.io or host[:port]) and the endpoint that
    answered (HTTPS, or for an insecure registry HTTPS unchecked then plain HTTP, as pulls)."""

    host: str
    endpoint: Endpoint

    @property
    def base_url(self) -> str:
        """The endpoint's URL, without /v2."""
        return self.endpoint.base_url

    @classmethod
    async def reach(cls, registry: RegistryClient, host: str) -> BrowseTarget:
        """The target for `host`, on the first of its endpoints that answers.

        Raises:
            InvalidArgument: not host[:port]; Unavailable: no endpoint answers.
        """
        if host.lower() in HUB_NAMES:
            return cls(DOCKER_HUB, Endpoint(DOCKER_HUB_API))
        if not _HOST_PORT.fullmatch(host):
            raise InvalidArgument(f"invalid registry address {host[:128]!r}: expected host[:port]")
        endpoints = registry_endpoints(host, registry.insecure)
        return cls(host, await registry.first_answering(endpoints))


async def authorized_get(
    registry: RegistryClient, target: BrowseTarget, url: str, scope: str,
    credentials: Credentials | None,
) -> tuple[httpx.Response, bytes]:  # fmt: skip
    """GET `url`, answering the registry's challenge for `scope` with `credentials`; the
    response (closed) and its body, capped.

    Raises:
        Unavailable: the registry cannot be reached; InvalidArgument: the body is too large.
    """
    http = registry.client_for(target.endpoint)
    auth = Authorizer(http, registry.tokens, target.base_url, credentials, scope)
    retried = False
    while True:
        sent = await auth.headers()
        try:
            async with http.stream("GET", url, headers=sent) as response:
                body = await _capped(response)
        except (httpx.HTTPError, ssl.SSLError) as err:
            raise Unavailable(f"registry {target.host} is unreachable: "
                              f"{err or type(err).__name__}") from None  # fmt: skip
        if not auth.retry_after(response, sent, retried):
            return response, body
        retried = retried or "Authorization" in sent


async def _capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > MAX_LISTING_BYTES:
            raise InvalidArgument(f"the registry's answer is larger than {MAX_LISTING_BYTES} "
                                  "bytes")  # fmt: skip
        chunks.append(chunk)
    return b"".join(chunks)


def next_last(response: httpx.Response) -> str | None:
    """The `last` of the registry's next page, from its Link header (None: no more)."""
    for part in response.headers.get_list("link"):
        if 'rel="next"' not in part:
            continue
        url = part.split(";", 1)[0].strip().strip("<>")
        values = parse_qs(urlsplit(url).query).get("last")
        if values:
            return values[0]
    return None
