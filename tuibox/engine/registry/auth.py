"""Registry credentials: X-Registry-Auth decoding, challenges, and Bearer tokens with a cache."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tuibox.engine.domain.errors import InvalidArgument, Unauthorized, Unavailable
from tuibox.engine.domain.json_input import parse_json

_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')
_MAX_TOKEN_BYTES = 1024 * 1024
_MAX_REDIRECTS = 5
MIN_TOKEN_LIFETIME = 60
"""Seconds a token is assumed to live when the server says less or nothing (as Docker)."""
_EXPIRY_MARGIN = 5
RETRYABLE_TOKEN_ERRORS = ("invalid_token", "insufficient_scope")
OAUTH_CLIENT_ID = "docker"


@dataclass(frozen=True)
class Credentials:
    """Username and password, or an identity token (an OAuth2 refresh token)."""

    username: str
    password: str
    identity_token: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r})"  # never the secret


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
    password = str(data.get("password") or "")
    identity = str(data.get("identitytoken") or "")
    if not (username or password or identity):
        return None
    return Credentials(username, password, identity)


@dataclass(frozen=True)
class Challenge:
    """One `WWW-Authenticate` challenge: scheme in lower case and its parameters."""

    scheme: str
    params: dict[str, str]

    @property
    def error(self) -> str:
        return self.params.get("error", "")


def parse_challenge(header: str) -> Challenge | None:
    """The Bearer (with a realm) or Basic challenge of a 401, or None."""
    scheme, _, rest = header.strip().partition(" ")
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _PARAM_RE.finditer(rest)}  # fmt: skip
    if scheme.lower() == "bearer" and params.get("realm"):
        return Challenge("bearer", params)
    if scheme.lower() == "basic":
        return Challenge("basic", params)
    return None


def parse_bearer_challenge(header: str) -> dict[str, str] | None:
    """Parameters of a `Bearer realm=...,service=...,scope=...` challenge, or None."""
    challenge = parse_challenge(header)
    return challenge.params if challenge and challenge.scheme == "bearer" else None


def basic_header(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class TokenReply:
    """A token and how many seconds it may be used."""

    token: str
    expires_in: int


async def fetch_token(
    client: httpx.AsyncClient,
    challenge: dict[str, str],
    scope: str,
    credentials: Credentials | None,
    registry_url: str,
) -> str:
    """Ask the challenge's realm for a token; see `fetch_token_reply`."""
    return (await fetch_token_reply(client, challenge, scope, credentials, registry_url)).token


async def fetch_token_reply(
    client: httpx.AsyncClient,
    challenge: dict[str, str],
    scope: str,
    credentials: Credentials | None,
    registry_url: str,
) -> TokenReply:
    """Ask the challenge's realm for a token: anonymous GET, GET with HTTP Basic, or the
    OAuth2 POST with the refresh token when the credentials hold an identity token.

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
    scopes = [s for s in scope.split(" ") if s]
    for asked in challenge.get("scope", "").split(" "):
        if asked and not scope_covers(scopes, asked):
            scopes.append(asked)
    try:
        if credentials and credentials.identity_token:
            data = await _post_refresh_token(client, realm, challenge, scopes, credentials)
        else:
            params: list[tuple[str, str]] = [("scope", s) for s in dict.fromkeys(scopes)]
            if challenge.get("service"):
                params.append(("service", challenge["service"]))
            if credentials and credentials.username:
                params.append(("account", credentials.username))
            auth = (credentials.username, credentials.password) if credentials else None
            data = await _get_capped(client, httpx.URL(realm, params=params), auth)
    except (httpx.HTTPError, ssl.SSLError) as err:
        raise Unavailable(f"the registry's token server {realm} is unreachable: {err}") from None
    return _token_from(data)


def scope_covers(scopes: list[str], wanted: str) -> bool:
    """Whether `repository:x:pull` is within `["repository:x:pull,push"]` and the like."""
    kind, _, rest = wanted.partition(":")
    name, _, actions = rest.rpartition(":")
    for scope in scopes:
        own_kind, _, own_rest = scope.partition(":")
        own_name, _, own_actions = own_rest.rpartition(":")
        if (own_kind, own_name) == (kind, name) and (
            set(actions.split(",")) <= set(own_actions.split(","))
        ):
            return True
    return False


def _token_from(data: bytes) -> TokenReply:
    try:
        body = parse_json(data, "the token server's answer")
    except InvalidArgument as err:
        raise Unauthorized(f"the registry's token server sent something unusable: {err}") from None
    token = body.get("access_token") or body.get("token") if isinstance(body, dict) else None
    if not token or not isinstance(token, str):
        raise Unauthorized("the registry's token server answered without a token")
    assert isinstance(body, dict)
    expires_in = body.get("expires_in")
    if not isinstance(expires_in, int) or isinstance(expires_in, bool):
        expires_in = MIN_TOKEN_LIFETIME
    return TokenReply(token, max(expires_in, MIN_TOKEN_LIFETIME))


async def _post_refresh_token(
    client: httpx.AsyncClient, realm: str, challenge: dict[str, str], scopes: list[str],
    credentials: Credentials,
) -> bytes:  # fmt: skip
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.identity_token,
        "client_id": OAUTH_CLIENT_ID,
        "service": challenge.get("service", ""),
        "scope": " ".join(dict.fromkeys(scopes)),
    }
    response = await client.post(realm, data=form, follow_redirects=False)
    if response.status_code != 200:
        raise Unauthorized(_refusal(realm, response.status_code, response.content))
    if len(response.content) > _MAX_TOKEN_BYTES:
        raise Unauthorized(
            f"the registry's token server sent more than {_MAX_TOKEN_BYTES} bytes; refused"
        )
    return response.content


def _refusal(where: str, status: int, body: bytes) -> str:
    """The token server's own words when it sent Docker's error JSON, else its status; a
    401's bare `details` read as distribution's client reads them (`unauthorized: ...`)."""
    detail = registry_error_text(body)
    if detail and status == 401 and not detail.startswith(("unauthorized", "denied")):
        return f"unauthorized: {detail}"
    if detail:
        return detail
    host = httpx.URL(where).host if "://" in where else where
    return f"the registry's token server {host} refused access (HTTP {status})"


def registry_error_text(body: bytes) -> str:
    """`unauthorized: incorrect username or password` from a distribution error body."""
    try:
        document = parse_json(body[:65536], "the registry's error")
    except InvalidArgument:
        return ""
    if not isinstance(document, dict):
        return ""
    errors = document.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = str(errors[0].get("code", "")).lower()
        message = str(errors[0].get("message", ""))
        return f"{code}: {message}" if code and message else code or message
    details = document.get("details") or document.get("error_description")
    return str(details) if isinstance(details, str) else ""


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
                body = await _read_token_body(response)
                raise Unauthorized(_refusal(str(url), response.status_code, body))
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


TokenKey = tuple[str, str, str, str]
"""(realm, service, scope, who): who (a hash of the credentials) may use a token for what."""


class TokenCache:
    """Bearer tokens per token server, service, scope and user; one fetch per key at a time.

    Lifecycle: one per RegistryClient. A token is used until shortly before its
    `expires_in` ends; `invalidate` drops one the registry refused.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[TokenKey, tuple[str, float]] = {}
        self._locks: dict[TokenKey, asyncio.Lock] = {}
        self.fetches = 0
        """Tokens fetched from token servers so far (tests and the TUI's diagnostics)."""

    @staticmethod
    def key(challenge: Challenge, scope: str, credentials: Credentials | None) -> TokenKey:
        who = ""
        if credentials:
            secret = "\0".join((credentials.username, credentials.password,
                                 credentials.identity_token))  # fmt: skip
            who = hashlib.sha256(secret.encode()).hexdigest()
        return (challenge.params["realm"], challenge.params.get("service", ""), scope, who)

    async def token(
        self,
        http: httpx.AsyncClient,
        challenge: Challenge,
        scope: str,
        credentials: Credentials | None,
        registry_url: str,
    ) -> str:
        """A valid cached token for the key, or one fetched now (others wait for it)."""
        key = self.key(challenge, scope, credentials)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[1] > self._clock():
                return cached[0]
            reply = await fetch_token_reply(http, challenge.params, scope, credentials,
                                            registry_url)  # fmt: skip
            self.fetches += 1
            lifetime = max(reply.expires_in - _EXPIRY_MARGIN, 1)
            self._tokens[key] = (reply.token, self._clock() + lifetime)
            return reply.token

    def invalidate(self, challenge: Challenge, scope: str, credentials: Credentials | None,
                   token: str) -> None:  # fmt: skip
        """Forget the cached token if it is still `token` (a newer one stays)."""
        key = self.key(challenge, scope, credentials)
        if self._tokens.get(key, ("", 0.0))[0] == token:
            del self._tokens[key]


class Authorizer:
    """The Authorization of one repository's requests on one registry.

    It learns the registry's challenge from a 401 and answers it: a Bearer token for
    `scope` from the cache (fetched once, then again once when the registry calls it
    invalid or short of scope), or HTTP Basic when the registry asks for Basic.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenCache,
        registry_url: str,
        credentials: Credentials | None,
        scope: str,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.registry_url = registry_url
        self.credentials = credentials
        self.scope = scope
        self._challenge: Challenge | None = None
        self._token = ""

    def add_scope(self, scope: str) -> None:
        """Ask tokens for `scope` too (pull access to a repository to mount blobs from)."""
        if scope not in self.scope.split(" "):
            self.scope = f"{self.scope} {scope}"

    async def headers(self) -> dict[str, str]:
        """The Authorization header for the next request, from what was learned so far."""
        challenge = self._challenge
        if challenge is None:
            return {}
        if challenge.scheme == "basic":
            return {"Authorization": basic_header(self.credentials)} if self.credentials else {}
        self._token = await self.tokens.token(
            self.http, challenge, self.scope, self.credentials, self.registry_url
        )
        return {"Authorization": f"Bearer {self._token}"}

    def retry_after(self, response: httpx.Response, sent: dict[str, str], retried: bool) -> bool:
        """After a 401, learn its challenge; True when sending again may succeed.

        A first challenge always earns a retry (with a token, or Basic when there are
        credentials); a refused token one more (fetched again) on `invalid_token` or
        `insufficient_scope`; nothing else does.
        """
        if response.status_code != 401:
            return False
        challenge = parse_challenge(response.headers.get("www-authenticate", ""))
        if challenge is None:
            return False
        sent_auth = "Authorization" in sent
        self._challenge = challenge
        if challenge.scheme == "basic":
            return self.credentials is not None and not sent_auth
        if not sent_auth:
            return True
        if retried or challenge.error not in RETRYABLE_TOKEN_ERRORS:
            return False
        self.tokens.invalidate(challenge, self.scope, self.credentials, self._token)
        for extra in challenge.params.get("scope", "").split(" "):
            if extra and not scope_covers(self.scope.split(" "), extra):
                self.scope = f"{self.scope} {extra}"
        return True
