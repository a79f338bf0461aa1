"""Provides RegistryBrowser: a registry's /v2/_catalog and a repository's tags, page by page."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from tuibox.engine.domain.errors import InvalidArgument, NotFound, Unauthorized, Unavailable
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.reference import parse_reference, validate_tag
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.services.browse.tag_details import describe_tag, unreadable_tag
from tuibox.engine.services.browse.target import (
    BrowseTarget,
    CredentialLookup,
    authorized_get,
    next_last,
)

MAX_PAGE = 1000
"""The largest `n` asked of a registry at once."""
TAG_CONCURRENCY = 4
"""Tags described at the same time (each is a manifest or two and a config)."""
_REPOSITORY_CHECK = "repository name"


class RegistryBrowser:
    """Reads registries through the engine's registry client (its HTTP pool, tokens and the
    logins stored), never a mirror: a catalog is the registry's own."""

    def __init__(self, registry: RegistryClient,
                 credentials: CredentialLookup | None = None) -> None:  # fmt: skip
        """`credentials` finds the login for a registry; by default the one the registry
        client uses for pulls (the engine's stored logins), read at each request."""
        self.registry = registry
        self.credentials = credentials or (lambda host: registry.credential_lookup(host))

    async def _target(self, host: str) -> BrowseTarget:
        return await BrowseTarget.reach(self.registry, host)

    async def catalog(self, host: str, n: int, last: str | None) -> dict[str, Any]:
        """{"Repositories": [...], "Next": the `last` of the next page or None}.

        Raises:
            InvalidArgument: a bad host or n; NotFound: no catalog there; Unauthorized: it
                wants a login; Unavailable: it cannot be reached or answered an error.
        """
        _check_page(n)
        target = await self._target(host)
        query = urlencode({"n": n, **({"last": last} if last else {})})
        response, body = await authorized_get(self.registry, target,
                                              f"{target.base_url}/v2/_catalog?{query}",
                                              "registry:catalog:*", self.credentials(target.host))
        _raise_for(response.status_code, body, target, "list its repositories (/v2/_catalog)",
                   missing="not offered")  # fmt: skip
        document = _registry_json(body, target, "catalog")
        names = document.get("repositories") if isinstance(document, dict) else None
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise Unavailable(f"registry {target.host} answered a catalog without a list of "
                              "repositories")  # fmt: skip
        return {"Repositories": names[:n], "Next": next_last(response)}

    async def tags(self, host: str, repository: str, n: int, last: str | None) -> dict[str, Any]:
        """{"Tags": [{"Tag", "Digest", "Size", "Platforms", "Created", "Error"}], "Next"}.

        A tag that cannot be described (a schema1 manifest, a broken config) keeps its row
        with the reason in "Error"; the page still answers.

        Raises:
            InvalidArgument, NotFound, Unauthorized, Unavailable: as catalog.
        """
        _check_page(n)
        target = await self._target(host)
        reference = parse_reference(f"{target.host}/{repository}", default_tag=False) \
            if target.host != "docker.io" else parse_reference(repository, default_tag=False)
        if reference.tag or reference.digest:
            raise InvalidArgument(f"invalid {_REPOSITORY_CHECK} {repository[:128]!r}: a "
                                  "repository, without a tag or digest")  # fmt: skip
        query = urlencode({"n": n, **({"last": last} if last else {})})
        url = f"{target.base_url}/v2/{reference.repository}/tags/list?{query}"
        login = self.credentials(target.host)
        response, body = await authorized_get(self.registry, target, url,
                                              f"repository:{reference.repository}:pull", login)
        _raise_for(response.status_code, body, target,
                   f"list the tags of {reference.repository}", missing="repository not found")
        document = _registry_json(body, target, "tag list")
        tags = document.get("tags") if isinstance(document, dict) else None
        if tags is None:
            tags = []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise Unavailable(f"registry {target.host} answered a tag list without a list")
        limit = asyncio.Semaphore(TAG_CONCURRENCY)

        async def one(tag: str) -> dict[str, Any]:
            try:
                validate_tag(tag)
            except InvalidArgument as err:  # a registry's answer, not the client's fault
                return {**unreadable_tag(tag), "Error": str(err)}
            async with limit:
                return await describe_tag(self.registry, target, reference.with_tag(tag), login)

        described = await asyncio.gather(*(one(tag) for tag in tags[:n]))
        return {"Tags": list(described), "Next": next_last(response)}


def _registry_json(body: bytes, target: BrowseTarget, what: str) -> Any:
    """The registry's JSON; what is not JSON is the registry's fault, not the client's."""
    try:
        return parse_json(body, f"the {what}")
    except InvalidArgument as err:
        raise Unavailable(f"registry {target.host} answered a {what} that is unreadable: "
                          f"{err}") from None  # fmt: skip


def _check_page(n: int) -> None:
    if not 1 <= n <= MAX_PAGE:
        raise InvalidArgument(f"invalid value for n: {n} is not between 1 and {MAX_PAGE}")


def _raise_for(status: int, body: bytes, target: BrowseTarget, action: str, *,
               missing: str) -> None:  # fmt: skip
    """The refusal of a registry, in words that say which and why (`missing`: what a 404
    means)."""
    if status == 200:
        return
    text = body.decode(errors="replace")[:200].strip()
    if status in (401, 403):
        raise Unauthorized(f"registry {target.host} refused to {action}: unauthorized "
                           f"(HTTP {status}); log in to it first")  # fmt: skip
    if status == 404:
        raise NotFound(f"registry {target.host} cannot {action}: {missing} (HTTP 404)")
    raise Unavailable(f"registry {target.host} failed to {action}: HTTP {status} {text}")
