"""FakeTokenServer: a fake of a registry's token server (Docker's token auth spec), issuing
JWTs signed with a key made by `openssl` that the real docker-registry is told to trust."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback_http import QuietHandler, serve_on_loopback, stop_serving

ISSUER = "tuibox-test-issuer"
SERVICE = "tuibox-test-registry"


def make_signing_key(directory: Path) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it (the registry's rootcertbundle)."""
    key, cert = directory / "token.key", directory / "token.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=tuibox test token issuer"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class TokenRequest:
    """What one client asked for: method, scopes, the user it proved to be ("" = anonymous)."""

    method: str
    scopes: tuple[str, ...]
    user: str
    grant_type: str = ""


@dataclass
class FakeTokenServer:
    """Grants every requested action to a known user, `pull` to anonymous clients where
    `anonymous_pull`; wrong credentials get Docker Hub's 401 body. `expires_in` None
    leaves the field out; `expired_tokens` makes that many next tokens already expired;
    `token_field` is "token" or "access_token"; `refresh_tokens` maps OAuth2 refresh tokens
    (identity tokens) to users."""

    key: Path
    cert: Path
    users: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    anonymous_pull: bool = True
    expires_in: int | None = 300
    expired_tokens: int = 0
    token_field: str = "token"
    requests: list[TokenRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> FakeTokenServer:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                fake._answer(self, "GET", query, self.headers.get("Authorization", ""))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                fake._answer(self, "POST", form, "")

        self._server = serve_on_loopback(Handler)
        return self

    def stop(self) -> None:
        stop_serving(self._server)

    def _answer(self, handler: BaseHTTPRequestHandler, method: str,
                params: dict[str, list[str]], authorization: str) -> None:  # fmt: skip
        scopes = tuple(s for value in params.get("scope", []) for s in value.split(" ") if s)
        grant = params.get("grant_type", [""])[0]
        user = self._user(authorization, params, grant)
        with self._lock:
            self.requests.append(TokenRequest(method, scopes, user or "", grant))
        if user is None:
            body = {"details": "incorrect username or password"}
            return _send(handler, 401, body)
        expired = False
        with self._lock:
            if self.expired_tokens:
                self.expired_tokens -= 1
                expired = True
        token = self.sign(user, scopes, expired)
        reply: dict[str, object] = {self.token_field: token}
        if self.expires_in is not None:
            reply["expires_in"] = self.expires_in
        _send(handler, 200, reply)

    def _user(self, authorization: str, params: dict[str, list[str]], grant: str) -> str | None:
        """The authenticated user, "" for anonymous, None for refused credentials."""
        if grant == "refresh_token":
            return self.refresh_tokens.get(params.get("refresh_token", [""])[0])
        if grant == "password":
            name, password = params.get("username", [""])[0], params.get("password", [""])[0]
            return name if self.users.get(name) == password else None
        if not authorization.startswith("Basic "):
            return ""
        name, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        return name if name in self.users and self.users[name] == password else None

    def sign(self, user: str, scopes: tuple[str, ...], expired: bool = False) -> str:
        """An RS256 JWT the registry accepts (its x5c chains to the trusted certificate)."""
        now = int(time.time())
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if user else [a for a in wanted if a == "pull" and self.anonymous_pull]
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        claims = {
            "iss": ISSUER, "sub": user, "aud": SERVICE, "jti": secrets.token_hex(8),
            # docker-registry allows 60 s of clock skew: an expired token is well past it
            "iat": now - 1200, "nbf": now - 1200, "exp": now - 600 if expired else now + 300,
            "access": access,
        }  # fmt: skip
        der = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-outform", "DER"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signed = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signed.encode(), check=True, capture_output=True,
        ).stdout  # fmt: skip
        return f"{signed}.{_b64url(signature)}"


def _send(handler: BaseHTTPRequestHandler, status: int, body: Mapping[str, object]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
