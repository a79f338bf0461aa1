"""Module fixtures for the registry tests: Debian's docker-registry seeded with demo images,
behind the fake token server (token auth), an htpasswd file (Basic auth), or TLS with a
client certificate required."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.registries.servers import (
    ConfiguredRegistry,
    TlsFiles,
    bcrypt_htpasswd,
    make_tls_files,
    running,
    seed_storage,
)
from tests.fakes.token_server import ISSUER, SERVICE, FakeTokenServer, make_signing_key
from tuibox.demo.images import BuiltImage
from tuibox.engine.registry.auth import Credentials

USER = Credentials("alice", "wonderland")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, BuiltImage]]:
    state = tmp_path_factory.mktemp("auth-registry")
    return state, seed_storage(state, {"team/box": "busybox", "library/hello-world": "hello-world"})


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeTokenServer]:
    key, cert = make_signing_key(tmp_path_factory.mktemp("token-key"))
    server = FakeTokenServer(key, cert, users={USER.username: USER.password},
                             refresh_tokens={"refresh-me": USER.username}).start()  # fmt: skip
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def token_registry(
    storage: tuple[Path, dict[str, BuiltImage]], tokens: FakeTokenServer
) -> Iterator[ConfiguredRegistry]:
    auth = {"token": {"realm": tokens.realm, "service": SERVICE, "issuer": ISSUER,
                      "rootcertbundle": str(tokens.cert)}}  # fmt: skip
    with running(ConfiguredRegistry(storage[0], auth)) as registry:
        yield registry


@pytest.fixture
def server(tokens: FakeTokenServer) -> Iterator[FakeTokenServer]:
    """The module's token server, its log and settings reset for each test."""
    tokens.requests.clear()
    tokens.anonymous_pull, tokens.expires_in, tokens.expired_tokens = True, 300, 0
    tokens.token_field = "token"
    yield tokens


@pytest.fixture(scope="module")
def basic_registry(
    storage: tuple[Path, dict[str, BuiltImage]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConfiguredRegistry]:
    htpasswd = bcrypt_htpasswd(tmp_path_factory.mktemp("htpasswd") / "htpasswd",
                               {USER.username: USER.password})  # fmt: skip
    auth = {"htpasswd": {"realm": "tuibox-basic", "path": str(htpasswd)}}
    with running(ConfiguredRegistry(storage[0], auth)) as registry:
        yield registry




@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_registry(
    storage: tuple[Path, dict[str, BuiltImage]], tls_files: TlsFiles
) -> Iterator[ConfiguredRegistry]:
    """The seeded storage served over TLS only, a client certificate from the CA required."""
    with running(ConfiguredRegistry(storage[0], tls=tls_files, client_certs=True)) as registry:
        yield registry


@pytest.fixture(scope="module")
def basic_tls_registry(
    storage: tuple[Path, dict[str, BuiltImage]], tls_files: TlsFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ConfiguredRegistry]:  # fmt: skip
    """htpasswd Basic auth over TLS (no client certificate asked), as the issue has it."""
    htpasswd = bcrypt_htpasswd(tmp_path_factory.mktemp("htpasswd-tls") / "htpasswd",
                               {USER.username: USER.password})  # fmt: skip
    auth = {"htpasswd": {"realm": "tuibox-basic-tls", "path": str(htpasswd)}}
    with running(ConfiguredRegistry(storage[0], auth, tls=tls_files)) as registry:
        yield registry
