"""Provides RegistryCalls and their models: login, logout, the registries known with their
login state, and a registry's catalog and tags (tuibox's extension endpoints)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tuibox.client.call_base import EngineCalls
from tuibox.client.errors import NotFoundError
from tuibox.client.responses import parse_list, parse_object
from tuibox.timestamps import parse_ns

CATALOG_PAGE = 100
"""Repositories asked per catalog page (the registry's `n`)."""


def _first(raw: Mapping[str, Any], *keys: str) -> Any:
    """The first of `keys` present (the engine's names are snake_case or Docker's PascalCase)."""
    return next((raw[key] for key in keys if key in raw), None)


@dataclass(frozen=True)
class RegistryState:
    """One registry the engine knows: its address, role and whether it is logged into."""

    address: str
    role: str = ""
    logged_in: bool = False
    username: str = ""
    secure: bool = True
    source: str = ""
    """Where the login comes from (the engine's own store, a Docker config.json), if any."""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RegistryState:
        """Read one entry of GET /tuibox/v1/registries."""
        address = _first(raw, "address", "Address", "name", "Name", "serveraddress")
        if not isinstance(address, str) or not address:
            raise ValueError("a registry entry without an address")
        secure = _first(raw, "secure", "Secure")
        return cls(
            address=address,
            role=str(_first(raw, "role", "Role", "kind", "Kind") or ""),
            logged_in=bool(_first(raw, "logged_in", "LoggedIn")),
            username=str(_first(raw, "username", "Username") or ""),
            secure=True if secure is None else bool(secure),
            source=str(_first(raw, "login_source", "LoginSource") or ""),
        )


@dataclass(frozen=True)
class CatalogPage:
    """One page of a registry's /v2/_catalog; `next` is the `last` that asks the next page."""

    repositories: tuple[str, ...]
    next: str | None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CatalogPage:
        """Read GET /tuibox/v1/registries/{host}/catalog."""
        following = raw.get("Next")
        return cls(tuple(str(name) for name in raw.get("Repositories") or []),
                   str(following) if following else None)  # fmt: skip


@dataclass(frozen=True)
class TagInfo:
    """One tag of a repository: what it points at, how big it is, for which platforms."""

    tag: str
    digest: str
    size: int
    platforms: tuple[str, ...]
    created: float | None
    """Unix seconds from the image config's `created` (the first platform's); None unknown."""
    error: str = ""
    """Why the engine could not read the tag (a schema1 manifest, a broken config), if so."""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TagInfo:
        """Read one entry of GET /tuibox/v1/registries/{host}/repositories/{name}/tags."""
        created = raw.get("Created")
        return cls(str(raw["Tag"]), str(raw.get("Digest") or ""), int(raw.get("Size") or 0),
                   tuple(str(p) for p in raw.get("Platforms") or []),
                   _seconds(created), str(raw.get("Error") or ""))


@dataclass(frozen=True)
class TagPage:
    """A page of a repository's tags; `next` as for CatalogPage."""

    tags: tuple[TagInfo, ...]
    next: str | None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TagPage:
        """Read GET /tuibox/v1/registries/{host}/repositories/{name}/tags."""
        following = raw.get("Next")
        return cls(tuple(TagInfo.from_json(tag) for tag in raw.get("Tags") or []),
                   str(following) if following else None)  # fmt: skip


def _seconds(created: object) -> float | None:
    """Unix seconds of an RFC 3339 time; None when absent or not one."""
    nanoseconds = parse_ns(created) if isinstance(created, str) and created else None
    return None if nanoseconds is None else nanoseconds / 1e9


def _registry_list(body: Mapping[str, Any]) -> list[RegistryState]:
    """The entries of an answer shaped {"Registries": [...]}."""
    entries = body["Registries"]
    if not isinstance(entries, list):
        raise ValueError("Registries is not a list")
    return [RegistryState.from_json(entry) for entry in entries if isinstance(entry, Mapping)]


class RegistryCalls(EngineCalls):
    """Login, logout and browsing (a mixin of EngineClient). POST /auth is Docker's (under
    the version prefix); the others are tuibox's extensions, outside it."""

    async def login(self, server: str, username: str, password: str) -> str:
        """POST /auth (`docker login`): the engine checks the credentials with the registry
        and keeps them; returns its Status ("Login Succeeded").

        Raises:
            UnauthorizedError: the registry refused them.
        """
        body = {"username": username, "password": password, "serveraddress": server}
        response = await self._call("POST", "/auth", json=body)
        return parse_object(response, lambda raw: str(raw.get("Status") or "Login Succeeded"))

    async def logout(self, server: str) -> None:
        """DELETE /tuibox/v1/auth/{server}: the engine forgets the credentials it kept."""
        await self._send("DELETE", f"/tuibox/v1/auth/{quote(server, safe='')}")

    async def list_registries(self) -> list[RegistryState] | None:
        """GET /tuibox/v1/registries: every registry known, with its login state; None from an
        engine without the endpoint (a real dockerd: /info is all there is)."""
        try:
            response = await self._send("GET", "/tuibox/v1/registries")
        except NotFoundError:
            return None
        if response.text.lstrip().startswith("["):
            return parse_list(response, RegistryState.from_json)
        return parse_object(response, _registry_list)

    async def registry_catalog(self, host: str, last: str | None = None,
                               n: int = CATALOG_PAGE) -> CatalogPage:  # fmt: skip
        """GET /tuibox/v1/registries/{host}/catalog?n=&last=: one page of its repositories."""
        params = {"n": str(n), **({"last": last} if last else {})}
        response = await self._send("GET", f"/tuibox/v1/registries/{quote(host, safe='')}/catalog",
                                    params=params)  # fmt: skip
        return parse_object(response, CatalogPage.from_json)

    async def registry_tags(self, host: str, repository: str, last: str | None = None,
                            n: int = CATALOG_PAGE) -> TagPage:  # fmt: skip
        """GET /tuibox/v1/registries/{host}/repositories/{name}/tags: one page of its tags."""
        params = {"n": str(n), **({"last": last} if last else {})}
        path = (f"/tuibox/v1/registries/{quote(host, safe='')}/repositories/"
                f"{quote(repository, safe='/')}/tags")
        response = await self._send("GET", path, params=params)
        return parse_object(response, TagPage.from_json)

