"""Login check: GET /v2/ answering the registry's challenge with the credentials, as dockerd."""

from __future__ import annotations

import ssl

import httpx

from tuibox.engine.domain.errors import Unauthorized, Unavailable
from tuibox.engine.registry.auth import Authorizer, Credentials, TokenCache


async def verify_login(http: httpx.AsyncClient, base_url: str, credentials: Credentials) -> None:
    """Succeed when the registry's /v2/ answers 200 once its challenge is answered.

    A token server that refuses the credentials is reported in its own words
    (`unauthorized: incorrect username or password`); a registry that still answers 401
    in dockerd's: `login attempt to <url> failed with status: 401 Unauthorized`.

    Raises:
        Unauthorized: the registry or its token server refused the credentials.
        Unavailable: the registry cannot be reached.
    """
    url = f"{base_url}/v2/"
    auth = Authorizer(http, TokenCache(), base_url, credentials, scope="")
    retried = False
    while True:
        sent = await auth.headers()
        try:
            response = await http.get(url, headers=sent)
        except (httpx.HTTPError, ssl.SSLError) as err:  # see RepositorySession
            raise Unavailable(f"registry {base_url} is unreachable: {err or type(err).__name__}"
                              ) from None  # fmt: skip
        if response.status_code == 200:
            return
        if not auth.retry_after(response, sent, retried):
            raise Unauthorized(
                f"login attempt to {url} failed with status: {response.status_code} "
                f"{response.reason_phrase}"
            )
        retried = retried or "Authorization" in sent
