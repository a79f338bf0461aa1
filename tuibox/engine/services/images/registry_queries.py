"""Registry look-ups that store nothing: GET /distribution/{name}/json and GET /images/search.

Distribution resolves the reference through the registry client (mirrors for Hub names,
auth, TLS as a pull), then reads the top-level document again for its descriptor: an
index gives its entries' platforms (attestations left out), a single manifest the
platform of its config, as dockerd answers. Search asks the registry's `/v1/search`,
which Docker Hub serves; a registry without it (the distribution registry, Debian's
docker-registry) answers 404, reported as such instead of dockerd's bare
"Unexpected status code 404".
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tuibox.engine.domain.errors import InvalidArgument, NotFound, Unavailable
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.auth import decode_registry_auth
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import push_endpoint
from tuibox.engine.registry.manifests import (
    INDEX_TYPES,
    MAX_CONFIG_BYTES,
    parse_document,
    parse_image_manifest,
)

SEARCH_FILTERS = frozenset({"stars", "is-official", "is-automated"})
_UNKNOWN_PLATFORM = {"architecture": "unknown", "os": "unknown"}


async def distribution_info(
    registry: RegistryClient, name: str, auth_header: str | None
) -> dict[str, Any]:
    """{"Descriptor": {mediaType, digest, size}, "Platforms": [...]} of a remote image.

    Raises:
        InvalidArgument: an invalid reference or document.
        NotFound, Unauthorized, Unavailable: as a pull of it would.
    """
    reference = parse_reference(name)
    session, resolved = await registry.resolve(reference, decode_registry_auth(auth_header))
    body, content_type, digest = await session.fetch_manifest(resolved.digest)
    media_type, document = parse_document(body, content_type)
    descriptor = {"mediaType": media_type, "digest": digest, "size": len(body)}
    if media_type in INDEX_TYPES:
        platforms = [entry.get("platform") for entry in document.get("manifests") or []
                     if isinstance(entry, dict)]  # fmt: skip
        found = [p for p in platforms if isinstance(p, dict) and _shown(p)]
        return {"Descriptor": descriptor, "Platforms": found}
    manifest = parse_image_manifest(media_type, document)
    if manifest.config.size > MAX_CONFIG_BYTES:
        raise InvalidArgument(f"image config is {manifest.config.size} bytes, too large")
    config = json.loads(await session.fetch_blob(manifest.config))
    platform = {key: config[key] for key in ("architecture", "os", "variant")
                if isinstance(config.get(key), str) and config[key]}  # fmt: skip
    return {"Descriptor": descriptor, "Platforms": [platform]}


def _shown(platform: dict[str, Any]) -> bool:
    return {k: platform.get(k) for k in _UNKNOWN_PLATFORM} != _UNKNOWN_PLATFORM


def search_target(term: str) -> tuple[str, str]:
    """(registry domain, term to send) as dockerd splits `host:5000/name` from `name`."""
    first, slash, rest = term.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", term


async def search(
    registry: RegistryClient, term: str, limit: int | None, filters: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Docker's search results for `term` from the registry it names (Docker Hub if none).

    Raises:
        InvalidArgument: an empty term, a limit out of [1, 100], an unknown or bad filter.
        NotFound: the registry does not support search.
        Unavailable: the registry cannot be reached or answered something else.
    """
    if not term:
        raise InvalidArgument("term is required: what to search for")
    if limit is not None and not 1 <= limit <= 100:
        raise InvalidArgument(f"limit {limit} is outside the range of [1, 100]")
    wanted = _search_filters(filters)
    domain, query = search_target(term)
    endpoint = push_endpoint(parse_reference(f"{domain}/library/x"), registry.insecure)
    base = "https://index.docker.io" if domain == "docker.io" else endpoint.base_url
    url = f"{base}/v1/search"
    try:
        response = await registry.http.get(url, params={"q": query, "n": str(limit or 25)})
    except httpx.HTTPError as err:
        raise Unavailable(f"cannot search {domain}: {err}") from None
    if response.status_code == 404:
        raise NotFound(
            f"Unexpected status code 404: the registry {domain} does not support search "
            "(GET /v1/search is not served there; Docker Hub serves it)"
        )
    if response.status_code != 200:
        raise Unavailable(f"Unexpected status code {response.status_code} from {url}")
    try:
        results = response.json().get("results") or []
    except (ValueError, AttributeError):
        raise Unavailable(f"the search answer of {domain} is not Docker's JSON") from None
    return [_result(r) for r in results if isinstance(r, dict) and _passes(r, wanted)]


def _search_filters(filters: dict[str, list[str]]) -> dict[str, Any]:
    for key in filters:
        if key not in SEARCH_FILTERS:
            raise InvalidArgument(f"invalid filter '{key}'")
    wanted: dict[str, Any] = {}
    for value in filters.get("stars", []):
        if not value.isdigit():
            raise InvalidArgument(f"invalid filter 'stars={value}'")
        wanted["stars"] = max(wanted.get("stars", 0), int(value))
    for key in ("is-official", "is-automated"):
        for value in filters.get(key, []):
            if value.lower() not in ("true", "false", "1", "0"):
                raise InvalidArgument(f"invalid filter '{key}={value}'")
            wanted[key] = value.lower() in ("true", "1")
    return wanted


def _passes(result: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if int(result.get("star_count") or 0) < wanted.get("stars", 0):
        return False
    for key, field in (("is-official", "is_official"), ("is-automated", "is_automated")):
        if key in wanted and bool(result.get(field)) != wanted[key]:
            return False
    return True


def _result(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(result.get("name") or ""),
        "description": str(result.get("description") or ""),
        "star_count": int(result.get("star_count") or 0),
        "is_official": bool(result.get("is_official")),
        "is_automated": bool(result.get("is_automated")),
    }
