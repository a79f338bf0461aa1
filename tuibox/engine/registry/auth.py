"""Registry credentials: X-Registry-Auth decoding and the Bearer token challenge."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

import httpx

from tuibox.engine.domain.errors import Unauthorized, Unavailable

_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')
_MAX_TOKEN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """Username and password (or identity token) from the client's X-Registry-Auth."""

    username: str
    password: str


def decode_registry_auth(header: str | None) -> Credentials | None:
    """Decode the base64url JSON of X-Registry-Auth; `e30=` ({}) and garbage give None."""
    if not header:
        return None
    padded = header.strip() + "=" * (-len(header.strip()) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict):
        return None
    username = str(data.get("username") or "")
    password = str(data.get("password") or data.get("identitytoken") or "")
    return Credentials(username, password) if username or password else None


def parse_bearer_challenge(header: str) -> dict[str, str] | None:
    """Parameters of a `Bearer realm=...,service=...,scope=...` challenge, or None."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _PARAM_RE.finditer(rest)}  # fmt: skip
    return params if params.get("realm") else None


async def fetch_token(
    client: httpx.AsyncClient,
    challenge: dict[str, str],
    scope: str,
    credentials: Credentials | None,
) -> str:
    """Ask the challenge's realm for a token (anonymous, or HTTP Basic with credentials).

    Raises:
        Unauthorized: the token server refused or answered without a token.
    """
    params = {"scope": challenge.get("scope") or scope}
    if challenge.get("service"):
        params["service"] = challenge["service"]
    auth = (credentials.username, credentials.password) if credentials else None
    try:
        response = await client.get(challenge["realm"], params=params, auth=auth)
    except httpx.HTTPError as err:
        raise Unavailable(f"the registry's token server {challenge['realm']} is unreachable: "
                          f"{err}") from None  # fmt: skip
    if response.status_code != 200 or len(response.content) > _MAX_TOKEN_BYTES:
        raise Unauthorized(
            f"the registry's token server {challenge['realm']} refused access "
            f"(HTTP {response.status_code})"
        )
    try:
        body = response.json()
    except ValueError:
        raise Unauthorized("the registry's token server sent something that is not JSON") from None
    token = body.get("access_token") or body.get("token") if isinstance(body, dict) else None
    if not token:
        raise Unauthorized("the registry's token server answered without a token")
    return str(token)
