"""The engine's kept logins: Docker's auths shape, mode 0600, the docker config beside them."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.registry_address import split_server_address
from tuibox.engine.services.registries.service import _login_request
from tuibox.engine.store.credentials import CredentialStore


def test_a_login_is_kept_readable_by_root_only_in_dockers_shape(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "registry-logins.json"
    store = CredentialStore(path)
    store.save("https://index.docker.io/v1/", "bob", "s3cret", "")
    store.save("127.0.0.1:5000", "alice", "pw", "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    auths = json.loads(path.read_text())["auths"]
    assert set(auths) == {"docker.io", "127.0.0.1:5000"}
    assert base64.b64decode(auths["docker.io"]["auth"]) == b"bob:s3cret"
    again = CredentialStore(path)
    login = again.get("docker.io")
    assert login is not None and (login.username, login.password) == ("bob", "s3cret")
    assert "s3cret" not in repr(login)
    assert again.remove("127.0.0.1:5000") and not again.remove("127.0.0.1:5000")
    assert set(json.loads(path.read_text())["auths"]) == {"docker.io"}


def test_the_docker_config_auths_are_read_and_the_engines_own_win(tmp_path: Path) -> None:
    docker_config = tmp_path / "config.json"
    docker_config.write_text(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:one").decode()},
        "http://10.0.0.5:5000": {"username": "u", "password": "p"},
        "reg.example": {"identitytoken": "refresh"},
        "not a host!": {"auth": base64.b64encode(b"x:y").decode()},
    }}))  # fmt: skip
    store = CredentialStore(tmp_path / "logins.json", docker_config)
    logins = store.all()
    assert {k: (v.username, v.password, v.identity_token) for k, v in logins.items()} == {
        "docker.io": ("hub", "one", ""), "10.0.0.5:5000": ("u", "p", ""),
        "reg.example": ("", "", "refresh"),
    }  # fmt: skip
    store.save("docker.io", "mine", "two", "")
    login = store.get("index.docker.io")
    assert login is not None and (login.username, login.source) == ("mine", "engine")
    docker_config.write_text("{broken")
    assert set(store.all()) == {"docker.io"}  # warned about, as the docker CLI does


@pytest.mark.parametrize(("address", "expected"), [
    ("", ("docker.io", None)), ("https://index.docker.io/v1/", ("docker.io", "https")),
    ("registry-1.docker.io", ("docker.io", None)), ("http://127.0.0.1:5000", ("127.0.0.1:5000",
    "http")), ("localhost:5000/v2/", ("localhost:5000", None)),
])  # fmt: skip
def test_server_addresses(address: str, expected: tuple[str, str | None]) -> None:
    assert split_server_address(address) == expected


def test_login_bodies() -> None:
    credentials, server = _login_request(
        {"username": "bob", "password": "pw", "serveraddress": "h:1", "email": ""}
    )
    assert (credentials.username, credentials.password, server) == ("bob", "pw", "h:1")
    encoded = base64.b64encode(b"al:ice").decode()
    credentials, _ = _login_request({"auth": encoded, "serveraddress": "h:1"})
    assert (credentials.username, credentials.password) == ("al", "ice")
    refused: list[tuple[dict[str, Any], str]] = [
        ({"username": "b", "reauth": True}, "unknown field in the login request: reauth"),
        ({"password": "pw"}, "Username is required"),
        ({"username": "b", "registrytoken": "t"}, "registrytoken is not supported"),
        ({"username": 5}, "login field username must be a string"),
    ]
    for body, message in refused:
        with pytest.raises(InvalidArgument, match=message):
            _login_request(body)
