"""Registry endpoints: those a pull tries in order, the one a push uses, plain-HTTP hosts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from tuibox.engine.domain.reference import Reference

DOCKER_HUB_API = "https://registry-1.docker.io"
_LOOPBACK_NAMES = {"localhost"}


@dataclass(frozen=True)
class Endpoint:
    """One place to pull from: base URL (without /v2) and whether it is a mirror."""

    base_url: str
    is_mirror: bool = False
    tls_verify: bool = True
    """False for an insecure registry's HTTPS attempt: no certificate check."""

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[-1].split("/", 1)[0]


def pull_endpoints(
    reference: Reference, mirrors: tuple[str, ...], insecure: tuple[str, ...]
) -> list[Endpoint]:
    """Endpoints for a pull: for Docker Hub every mirror in order then Hub, else the registry.

    Args:
        reference: the normalised image reference.
        mirrors: registry-mirrors URLs (http:// or https://).
        insecure: insecure-registries entries (host[:port] or CIDR).
    """
    if reference.is_docker_hub:
        seen: list[Endpoint] = []
        for mirror in mirrors:
            base = mirror.rstrip("/").removesuffix("/v2")
            verify = not is_insecure_host(base.split("://", 1)[-1], insecure)
            endpoint = Endpoint(base, is_mirror=True, tls_verify=verify)
            if endpoint not in seen:
                seen.append(endpoint)
        return [*seen, Endpoint(DOCKER_HUB_API)]
    return registry_endpoints(reference.domain, insecure)


def registry_endpoints(domain: str, insecure: tuple[str, ...]) -> list[Endpoint]:
    """A registry's own endpoints, in dockerd's order: HTTPS, and for an insecure registry
    HTTPS without certificate checks, then plain HTTP."""
    if not is_insecure_host(domain, insecure):
        return [Endpoint(f"https://{domain}")]
    return [Endpoint(f"https://{domain}", tls_verify=False), Endpoint(f"http://{domain}")]


def push_endpoints(reference: Reference, insecure: tuple[str, ...]) -> list[Endpoint]:
    """Where a push may go, in order: the registry itself, never a mirror (read-only)."""
    if reference.is_docker_hub:
        return [Endpoint(DOCKER_HUB_API)]
    return registry_endpoints(reference.domain, insecure)


def push_endpoint(reference: Reference, insecure: tuple[str, ...]) -> Endpoint:
    """The plain-HTTP-for-insecure endpoint alone (callers that ping no endpoint)."""
    if reference.is_docker_hub:
        return Endpoint(DOCKER_HUB_API)
    scheme = "http" if is_insecure_host(reference.domain, insecure) else "https"
    return Endpoint(f"{scheme}://{reference.domain}")


def is_insecure_host(domain: str, insecure: tuple[str, ...]) -> bool:
    """True when `domain` (host[:port]) may be reached over plain HTTP.

    Loopback hosts always may (Docker adds 127.0.0.0/8 and ::1/128 itself); others must be
    listed as host, host:port, or fall inside a listed CIDR (IP literals only).
    """
    host = split_host(domain)
    entries = [e.removeprefix("http://").removeprefix("https://").rstrip("/") for e in insecure]
    if domain in entries or host in entries or host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_loopback:
        return True
    for entry in entries:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def split_host(domain: str) -> str:
    """The host part of host[:port], without IPv6 brackets."""
    if domain.startswith("["):
        return domain[1:].split("]", 1)[0]
    return domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
