"""TLS to registries: certs.d/<host:port>/ CAs and client certificates, against docker-registry
serving TLS with a CA made in the test and a client certificate required; insecure fallback."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import EngineProcess, engine_process
from tests.engine.registries.servers import ConfiguredRegistry, TlsFiles
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import Endpoint
from tuibox.engine.registry.tls import tls_context

pytestmark = [pytest.mark.engine, pytest.mark.registry]


def certs_d(root: Path, registry: ConfiguredRegistry, tls: TlsFiles, *, ca: bool = True,
            client: bool = True) -> Path:  # fmt: skip
    """Docker's layout: certs.d/<host:port>/ca.crt, client.cert, client.key."""
    folder = root / "certs.d" / registry.host
    folder.mkdir(parents=True, exist_ok=True)
    if ca:
        shutil.copy(tls.ca_cert, folder / "ca.crt")
    if client:
        shutil.copy(tls.client_cert, folder / "client.cert")
        shutil.copy(tls.client_key, folder / "client.key")
    return root / "certs.d"


async def ping(client: RegistryClient, registry: ConfiguredRegistry, verify: bool) -> int:
    http = client.client_for(Endpoint(registry.url, tls_verify=verify))
    return (await http.get(f"{registry.url}/v2/")).status_code


async def test_the_ca_and_client_certificate_of_certs_d_are_used(
    tls_registry: ConfiguredRegistry, tls_files: TlsFiles, tmp_path: Path
) -> None:
    client = RegistryClient()
    try:
        client.certs_dir = certs_d(tmp_path, tls_registry, tls_files)
        assert await ping(client, tls_registry, verify=True) == 200
        shutil.rmtree(tmp_path / "certs.d")
        client.certs_dir = certs_d(tmp_path, tls_registry, tls_files, ca=False)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await ping(client, tls_registry, verify=True)
        assert await ping(client, tls_registry, verify=False) == 200  # insecure: unchecked
        shutil.rmtree(tmp_path / "certs.d")
        client.certs_dir = certs_d(tmp_path, tls_registry, tls_files, client=False)
        with pytest.raises(ssl.SSLError, match="BAD_CERTIFICATE"):  # it wants a client cert
            await ping(client, tls_registry, verify=True)
    finally:
        await client.aclose()


def test_a_client_certificate_without_its_key_is_refused(
    tls_registry: ConfiguredRegistry, tls_files: TlsFiles, tmp_path: Path
) -> None:
    root = certs_d(tmp_path, tls_registry, tls_files)
    (root / tls_registry.host / "client.key").unlink()
    with pytest.raises(InvalidArgument, match=r"missing key client\.key for client certificate"):
        tls_context(root, tls_registry.host, verify=True)
    context = tls_context(root / "elsewhere", tls_registry.host, verify=False)
    assert context.verify_mode == ssl.CERT_NONE


@pytest.fixture(scope="module")
def tls_engine(registry: str, tls_registry: ConfiguredRegistry) -> Iterator[EngineProcess]:
    with engine_process(registry) as running:
        assert running.namespace is not None
        running.namespace.relay_loopback(tls_registry.url)
        yield running


def test_pull_and_push_over_tls_with_a_client_certificate(
    tls_engine: EngineProcess, tls_registry: ConfiguredRegistry, tls_files: TlsFiles
) -> None:
    image = f"{tls_registry.host}/team/box"
    refused = tls_engine.docker("pull", image)
    assert refused.returncode != 0  # no client certificate yet: HTTPS refused, HTTP too
    assert "internal error" not in refused.stderr, refused.stderr
    assert "https: registry" in refused.stderr and "certificate" in refused.stderr.lower()
    assert "http: registry" in refused.stderr
    certs_d(tls_engine.root, tls_registry, tls_files, ca=False)  # beside the engine config
    pulled = tls_engine.docker("pull", image)
    assert pulled.returncode == 0, pulled.stderr
    ran = tls_engine.docker("run", "--rm", image, "echo", "over tls")
    assert ran.stdout.strip() == "over tls", ran.stderr
    assert tls_engine.docker("tag", image, f"{tls_registry.host}/tls/copy:v1").returncode == 0
    pushed = tls_engine.docker("push", f"{tls_registry.host}/tls/copy:v1")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    assert "v1: digest: sha256:" in pushed.stdout
