"""Registry logins the engine keeps: one JSON file readable by root only, Docker's `auths`
shape, plus the `auths` of a docker CLI config.json when the engine config names one."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.registry_address import registry_key
from tuibox.engine.store.atomic import write_bytes_atomic

log = logging.getLogger(__name__)
LOGINS_FILE = "registry-logins.json"
FILE_MODE = 0o600


@dataclass(frozen=True)
class StoredLogin:
    """One registry's login; `source` is "engine" (POST /auth) or the docker config's path."""

    username: str
    password: str
    identity_token: str
    source: str

    def __repr__(self) -> str:
        return f"StoredLogin(username={self.username!r}, source={self.source!r})"


class CredentialStore:
    """Logins by registry key (`docker.io`, `host:port`): the engine's own file first, then
    the docker config's `auths` (read at each lookup, as the docker CLI reads it)."""

    def __init__(self, path: Path, docker_config: Path | None = None) -> None:
        self.path = path
        self.docker_config = docker_config
        self._own = _read_auths(path, "engine", must_exist=False)

    def get(self, registry: str) -> StoredLogin | None:
        return self.all().get(registry_key(registry))

    def all(self) -> dict[str, StoredLogin]:
        """Every login, the engine's own winning over the docker config's."""
        found = dict(self._docker_auths())
        found.update(self._own)
        return found

    def save(self, registry: str, username: str, password: str, identity_token: str) -> None:
        """Keep a login (atomically, mode 0600); the previous one for the registry goes."""
        own = {**self._own, registry_key(registry): StoredLogin(
            username, password, identity_token, "engine")}  # fmt: skip
        self._write(own)

    def remove(self, registry: str) -> bool:
        """Forget the engine's login for the registry; False when it kept none."""
        key = registry_key(registry)
        if key not in self._own:
            return False
        self._write({k: v for k, v in self._own.items() if k != key})
        return True

    def _write(self, logins: dict[str, StoredLogin]) -> None:
        auths: dict[str, dict[str, str]] = {}
        for key, login in sorted(logins.items()):
            entry = {"auth": base64.b64encode(f"{login.username}:{login.password}".encode())
                     .decode()}  # fmt: skip
            if login.identity_token:
                entry["identitytoken"] = login.identity_token
            auths[key] = entry
        data = json.dumps({"auths": auths}, indent=1).encode()
        write_bytes_atomic(self.path, data, mode=FILE_MODE)
        self._own = logins

    def _docker_auths(self) -> dict[str, StoredLogin]:
        if self.docker_config is None:
            return {}
        try:
            return _read_auths(self.docker_config, str(self.docker_config), must_exist=True)
        except InvalidArgument as err:
            log.warning("%s; its logins are not used", err)  # as the docker CLI warns
            return {}


def _read_auths(path: Path, source: str, must_exist: bool) -> dict[str, StoredLogin]:
    """`auths` of a config.json-shaped file.

    Raises:
        InvalidArgument: the file is unreadable or malformed (or missing when it must exist).
    """
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        if must_exist:
            raise InvalidArgument(f"docker config {path} does not exist") from None
        return {}
    except (OSError, ValueError) as err:
        raise InvalidArgument(f"cannot read registry logins from {path}: {err}") from None
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return {}
    logins: dict[str, StoredLogin] = {}
    for server, entry in auths.items():
        login = _login_of(entry, source)
        if login is not None:
            try:
                logins[registry_key(str(server))] = login
            except InvalidArgument:
                log.warning("%s: auths entry %r is not a registry address", path, server)
    return logins


def _login_of(entry: Any, source: str) -> StoredLogin | None:
    if not isinstance(entry, dict):
        return None
    username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    identity = str(entry.get("identitytoken") or "")
    if not (username or password or identity):
        return None
    return StoredLogin(username, password, identity, source)
