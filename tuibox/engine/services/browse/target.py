"""Provides BrowseTarget: where a registry named host[:port] is reached, and authorized GETs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from tuibox.engine.domain.errors import InvalidArgument, Unavailable
from tuibox.engine.domain.reference import DOCKER_HUB
from tuibox.engine.registry.auth import Authorizer, Credentials
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import DOCKER_HUB_API, is_insecure_host

HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HOST_PORT = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?"
)
MAX_LISTING_BYTES = 4 * 1024 * 1024
"""A catalog or tag list page larger than this is refused (a page of n <= 1000 names is far
smaller)."""


@dataclass(frozen=True)
class BrowseTarget:
    """One registry to browse: its key (docker.io or host[:port]) and base URL."""

    host: str
    base_url: str

    @classmethod
    def of(cls, host: str, insecure: tuple[str, ...]) -> BrowseTarget:
        """The target for `host`; plain HTTP where the engine allows it (loopback, listed
        insecure registries), as pulls reach it.

        Raises:
            InvalidArgument: not host[:port].
        """
        if host.lower() in HUB_NAMES:
            return cls(DOCKER_HUB, DOCKER_HUB_API)
        if not _HOST_PORT.fullmatch(host):
            raise InvalidArgument(f"invalid registry address {host[:128]!r}: expected host[:port]")
        scheme = "http" if is_insecure_host(host, insecure) else "https"
        return cls(host, f"{scheme}://{host}")


CredentialLookup = Callable[[str], Credentials | None]
"""The login stored for a registry key (docker.io or host[:port]), None without one."""


def no_credentials(host: str) -> Credentials | None:
    """The lookup of an engine that stores no logins."""
    return None


async def authorized_get(
    registry: RegistryClient, target: BrowseTarget, url: str, scope: str,
    credentials: Credentials | None,
) -> tuple[httpx.Response, bytes]:  # fmt: skip
    """GET `url`, answering the registry's challenge for `scope` with `credentials`; the
    response (closed) and its body, capped.

    Raises:
        Unavailable: the registry cannot be reached; InvalidArgument: the body is too large.
    """
    auth = Authorizer(registry.http, registry.tokens, target.base_url, credentials, scope)
    retried = False
    while True:
        sent = await auth.headers()
        try:
            async with registry.http.stream("GET", url, headers=sent) as response:
                body = await _capped(response)
        except httpx.HTTPError as err:
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
