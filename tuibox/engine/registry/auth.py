"""Registry credentials: X-Registry-Auth decoding and the Bearer token challenge."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import httpx

from tuibox.engine.domain.errors import InvalidArgument, Unauthorized, Unavailable
from tuibox.engine.domain.json_input import parse_json

_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')
_MAX_TOKEN_BYTES = 1024 * 1024
_MAX_REDIRECTS = 5


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
        data = parse_json(base64.urlsafe_b64decode(padded), "X-Registry-Auth")
    except (InvalidArgument, ValueError, binascii.Error):
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
    registry_url: str,
) -> str:
    """Ask the challenge's realm for a token (anonymous, or HTTP Basic with credentials).

    Credentials never go to a plain-http realm of an https registry, redirects from https
    to http are refused, and the reply is read up to 1 MiB only.

    Raises:
        Unauthorized: the token server refused, answered without a token, or would get
            credentials in clear text.
        Unavailable: the token server cannot be reached.
    """
    realm = challenge["realm"]
    if credentials and _scheme(registry_url) == "https" and _scheme(realm) != "https":
        raise Unauthorized(
            f"refusing to send credentials for {registry_url} to the plain-http token server "
            f"{realm}; the registry must use an https realm"
        )
    params = {"scope": challenge.get("scope") or scope}
    if challenge.get("service"):
        params["service"] = challenge["service"]
    auth = (credentials.username, credentials.password) if credentials else None
    try:
        data = await _get_capped(client, httpx.URL(realm, params=params), auth)
    except httpx.HTTPError as err:
        raise Unavailable(f"the registry's token server {realm} is unreachable: {err}") from None
    try:
        body = parse_json(data, "the token server's answer")
    except InvalidArgument as err:
        raise Unauthorized(f"the registry's token server sent something unusable: {err}") from None
    token = body.get("access_token") or body.get("token") if isinstance(body, dict) else None
    if not token or not isinstance(token, str):
        raise Unauthorized("the registry's token server answered without a token")
    return token


async def _get_capped(
    client: httpx.AsyncClient, url: httpx.URL, auth: tuple[str, str] | None
) -> bytes:
    """GET following at most a few redirects by hand; the body is streamed up to the cap."""
    for _ in range(_MAX_REDIRECTS + 1):
        request = client.build_request("GET", url)
        response = await client.send(request, auth=auth, stream=True, follow_redirects=False)
        try:
            if response.is_redirect and "location" in response.headers:
                target = url.join(response.headers["location"])
                if url.scheme == "https" and target.scheme != "https":
                    raise Unauthorized(
                        f"the registry's token server {url.host} redirected from https to "
                        f"plain http ({target.host}); refused"
                    )
                if (target.scheme, target.host, target.port) != (url.scheme, url.host, url.port):
                    auth = None  # credentials stay with the origin they were meant for
                url = target
                continue
            if response.status_code != 200:
                raise Unauthorized(f"the registry's token server {url.host} refused access "
                                   f"(HTTP {response.status_code})")  # fmt: skip
            return await _read_token_body(response)
        finally:
            await response.aclose()
    raise Unauthorized(f"the registry's token server {url.host} redirected too many times")


async def _read_token_body(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > _MAX_TOKEN_BYTES:
            raise Unauthorized(
                f"the registry's token server sent more than {_MAX_TOKEN_BYTES} bytes; refused"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""
