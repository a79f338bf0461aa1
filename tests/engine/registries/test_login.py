"""docker login through the engine against docker-registry (token auth behind the fake token
server, and htpasswd): the check, the kept login and its use, the TUI's logout and list."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator

import docker
import pytest

from tests.engine.conftest import EngineProcess, engine_process
from tests.engine.registries.conftest import USER
from tests.engine.registries.servers import ConfiguredRegistry
from tests.fakes.token_server import FakeTokenServer

pytestmark = [pytest.mark.engine, pytest.mark.dockercli]


@pytest.fixture(scope="module")
def engine(registry: str, token_registry: ConfiguredRegistry, tokens: FakeTokenServer,
           basic_registry: ConfiguredRegistry) -> Iterator[EngineProcess]:  # fmt: skip
    """An engine of this module's own, the auth registries and token server relayed in."""
    with engine_process(registry) as running:
        assert running.namespace is not None
        for url in (token_registry.url, tokens.realm, basic_registry.url):
            running.namespace.relay_loopback(url)
        yield running


def login(engine: EngineProcess, host: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "login", "-u", USER.username, "--password-stdin", host], input=password,
        env=engine.docker_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_wrong_password_is_refused_in_the_token_servers_words(
    engine: EngineProcess, token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    result = login(engine, token_registry.host, "wrong")
    assert result.returncode != 0
    assert "unauthorized: incorrect username or password" in result.stderr
    assert not (engine.root / "registry-logins.json").exists()


def test_a_wrong_password_on_a_basic_registry(
    engine: EngineProcess, basic_registry: ConfiguredRegistry
) -> None:
    result = login(engine, basic_registry.host, "wrong")
    assert result.returncode != 0
    assert (f"login attempt to http://{basic_registry.host}/v2/ failed with status: "
            "401 Unauthorized") in result.stderr  # fmt: skip


def test_login_is_kept_used_listed_and_forgotten(
    engine: EngineProcess, token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    server.anonymous_pull = False
    result = login(engine, token_registry.host, USER.password)
    assert result.returncode == 0, result.stderr
    assert "Login Succeeded" in result.stdout
    kept = engine.root / "registry-logins.json"  # beside the engine config
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert token_registry.host in json.loads(kept.read_text())["auths"]
    image = f"{token_registry.host}/team/box"
    with engine.client() as api:  # no X-Registry-Auth: the engine's kept login is used
        pulled = api.post("/images/create", params={"fromImage": image, "tag": "latest"})
        assert pulled.status_code == 200 and '"error"' not in pulled.text, pulled.text
        listed = api.get("/tuibox/v1/registries").json()["Registries"]
        entry = next(e for e in listed if e["address"] == token_registry.host)
        assert (entry["logged_in"], entry["username"], entry["role"]) == (True, "alice", "login")
        assert any(e["address"] == "docker.io" and e["role"] == "hub" for e in listed)
        assert api.delete(f"/tuibox/v1/auth/{token_registry.host}").status_code == 204
        again = api.delete(f"/tuibox/v1/auth/{token_registry.host}")
        assert again.status_code == 404
        assert again.json()["message"] == f"Not logged in to {token_registry.host}"
        assert engine.docker("rmi", f"{image}:latest").returncode == 0
        refused = api.post("/images/create", params={"fromImage": image, "tag": "latest"})
        assert refused.status_code == 404 and "pull access denied" in refused.text


def test_push_with_the_clis_login_to_a_token_registry(
    engine: EngineProcess, token_registry: ConfiguredRegistry, server: FakeTokenServer
) -> None:
    assert engine.docker("pull", "busybox").returncode == 0
    assert login(engine, token_registry.host, USER.password).returncode == 0
    target = f"{token_registry.host}/pushed/box:v1"
    assert engine.docker("tag", "busybox", target).returncode == 0
    pushed = engine.docker("push", target)
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    assert "v1: digest: sha256:" in pushed.stdout
    assert any("push" in ",".join(r.scopes) and r.user == "alice" for r in server.requests)
    engine.docker("rmi", target)
    with engine.client() as api:
        api.delete(f"/tuibox/v1/auth/{token_registry.host}")


def test_docker_py_login_is_checked_against_the_registry(
    engine: EngineProcess, basic_registry: ConfiguredRegistry
) -> None:
    logins = engine.root / "registry-logins.json"
    assert not logins.exists() or basic_registry.host not in logins.read_text()
    client = docker.DockerClient(base_url=engine.host)
    try:
        with pytest.raises(docker.errors.APIError, match="401 Unauthorized"):
            client.login(USER.username, "wrong", registry=basic_registry.host, reauth=True)
        assert not logins.exists() or basic_registry.host not in logins.read_text()
        answer = client.login(USER.username, USER.password, registry=basic_registry.host,
                              reauth=True)  # fmt: skip
    finally:
        client.close()
    assert answer["Status"] == "Login Succeeded"
    assert basic_registry.host in json.dumps(json.loads(logins.read_text()))
