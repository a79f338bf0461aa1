"""Logins: checked against the registry, kept by the engine, used when a client sends none."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import InvalidArgument, NotFound
from tuibox.engine.domain.reference import DOCKER_HUB
from tuibox.engine.domain.registry_address import split_server_address
from tuibox.engine.registry.auth import Credentials
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import (
    DOCKER_HUB_API,
    Endpoint,
    is_insecure_host,
    registry_endpoints,
)
from tuibox.engine.registry.login import verify_login
from tuibox.engine.store.credentials import LOGINS_FILE, CredentialStore

LOGIN_FIELDS = frozenset({"username", "password", "email", "serveraddress", "identitytoken",
                          "registrytoken", "auth"})  # fmt: skip
"""The AuthConfig fields the docker CLI and docker-py send to POST /auth."""
CERTS_DIR = "certs.d"
"""Beside the engine config: <host:port>/ca.crt, client.cert, client.key (Docker's layout)."""


class RegistryService:
    """Lifecycle: one per engine; `open` reads the kept logins and installs the lookup that
    pulls and pushes fall back on."""

    def __init__(self, config: EngineConfig, registry: RegistryClient,
                 store: CredentialStore) -> None:  # fmt: skip
        self.config = config
        self.registry = registry
        self.store = store
        self._lock = asyncio.Lock()
        registry.credential_lookup = self.credentials_for
        registry.certs_dir = config.config_dir / CERTS_DIR

    @classmethod
    def open(cls, config: EngineConfig, registry: RegistryClient) -> RegistryService:
        store = CredentialStore(config.config_dir / LOGINS_FILE, config.docker_config)
        return cls(config, registry, store)

    def credentials_for(self, domain: str) -> Credentials | None:
        """The kept login for `docker.io` or `host:port`, or None."""
        login = self.store.get(domain)
        if login is None:
            return None
        return Credentials(login.username, login.password, login.identity_token)

    async def login(self, body: dict[str, Any]) -> dict[str, str]:
        """Check the credentials with the registry, then keep them (`docker login`).

        Raises:
            InvalidArgument: an unknown field, a registry token, or no username.
            Unauthorized: the registry refused them.
            Unavailable: the registry cannot be reached.
        """
        credentials, server = _login_request(body)
        key, scheme = split_server_address(server)
        endpoint = await self.registry.first_answering(self._endpoints(key, scheme))
        await verify_login(self.registry.client_for(endpoint), endpoint.base_url, credentials)
        async with self._lock:
            await asyncio.to_thread(self.store.save, key, credentials.username,
                                    credentials.password, credentials.identity_token)  # fmt: skip
        return {"Status": "Login Succeeded", "IdentityToken": ""}

    async def logout(self, server: str) -> None:
        """Forget the engine's login for `server` (`docker logout` of the TUI).

        Raises:
            NotFound: the engine keeps no login for it ("Not logged in to ...").
        """
        key = split_server_address(server)[0]
        async with self._lock:
            removed = await asyncio.to_thread(self.store.remove, key)
        if not removed:
            raise NotFound(f"Not logged in to {key}")

    def registries(self) -> list[dict[str, Any]]:
        """Docker Hub, the mirrors, the insecure registries and every one logged into, each
        with its login state (the TUI's Registries pane)."""
        logins = self.store.all()
        entries: dict[str, dict[str, Any]] = {}

        def add(address: str, role: str, secure: bool) -> None:
            login = logins.get(address)
            entries.setdefault(address, {
                "address": address, "role": role, "secure": secure,
                "logged_in": login is not None, "username": login.username if login else "",
                "login_source": login.source if login else "",
            })  # fmt: skip

        add(DOCKER_HUB, "hub", True)
        for mirror in self.config.registry_mirrors:
            parsed = urlsplit(mirror)
            add(parsed.netloc, "mirror", parsed.scheme == "https")
        for entry in self.config.insecure_registries:
            if "/" not in entry:  # a CIDR names addresses, not a registry to list
                add(entry, "insecure", False)
        for address in sorted(logins):
            add(address, "login", not is_insecure_host(address, self.config.insecure_registries))
        return list(entries.values())

    def _endpoints(self, key: str, scheme: str | None) -> list[Endpoint]:
        """Docker Hub's API; a scheme the address named; else dockerd's order."""
        if key == DOCKER_HUB:
            return [Endpoint(DOCKER_HUB_API)]
        insecure = is_insecure_host(key, self.config.insecure_registries)
        if scheme is not None:
            return [Endpoint(f"{scheme}://{key}", tls_verify=not insecure)]
        return registry_endpoints(key, self.config.insecure_registries)


def _login_request(body: dict[str, Any]) -> tuple[Credentials, str]:
    """Credentials and server address of an AuthConfig body; unknown fields refused."""
    unknown = sorted(set(body) - LOGIN_FIELDS)
    if unknown:
        raise InvalidArgument(f"unknown field in the login request: {unknown[0]}")
    values = {key: body.get(key) for key in LOGIN_FIELDS}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(f"login field {key} must be a string")
    if values["registrytoken"]:
        raise InvalidArgument(
            "login with a registrytoken is not supported by the tuibox engine yet; "
            "log in with a username and password or an identitytoken"
        )
    username, password = str(values["username"] or ""), str(values["password"] or "")
    if values["auth"] and not (username or password):
        try:
            decoded = base64.b64decode(str(values["auth"]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("login field auth is not base64 of username:password") from None
        username, _, password = decoded.partition(":")
    identity = str(values["identitytoken"] or "")
    if not username and not identity:
        raise InvalidArgument("Username is required")  # wording of dockerd's AuthConfig check
    return Credentials(username, password, identity), str(values["serveraddress"] or "")
