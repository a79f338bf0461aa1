"""Debian's docker-registry with the test's own config: token auth, htpasswd, TLS, client certs.

Each registry is one process bound to 127.0.0.1, started with `start_new_session` and
stopped by its PID; its storage may be seeded first by a plain registry on the same root.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tuibox.demo.images import BuiltImage, build_demo_images
from tuibox.demo.push import push_image
from tuibox.demo.registry import REGISTRY_BINARY, LocalRegistry, free_loopback_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libxcrypt's bcrypt, what docker-registry's htpasswd accepts


def bcrypt_htpasswd(path: Path, users: dict[str, str]) -> Path:
    """An htpasswd file with bcrypt hashes (the only kind docker-registry reads)."""
    lines = [f"{u}:{crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH))}" for u, p in users.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@dataclass(frozen=True)
class TlsFiles:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all made here."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """A throwaway CA signing a 127.0.0.1 server certificate and a client certificate."""
    d = directory
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"),
            "-out", str(d / "ca.crt"), "-days", "2", "-subj", "/CN=tuibox test CA")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, extra in (("server", ["-extfile", str(d / "san.ext")]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{name}.key"),
                "-out", str(d / f"{name}.csr"), "-subj", f"/CN=tuibox test {name}")  # fmt: skip
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
                "-out", str(d / f"{name}.crt"), *extra)  # fmt: skip
    return TlsFiles(d / "ca.crt", d / "ca.key", d / "server.crt", d / "server.key",
                    d / "client.crt", d / "client.key")  # fmt: skip


def client_context(tls: TlsFiles) -> ssl.SSLContext:
    """Trusts the test CA and presents the client certificate."""
    context = ssl.create_default_context(cafile=str(tls.ca_cert))
    context.load_cert_chain(str(tls.client_cert), str(tls.client_key))
    return context


class ConfiguredRegistry:
    """A docker-registry process with `auth` and `tls` sections of the test's choosing."""

    def __init__(self, state_dir: Path, auth: dict[str, Any] | None = None,
                 tls: TlsFiles | None = None, client_certs: bool = False) -> None:  # fmt: skip
        self.state_dir = state_dir
        self.auth = auth
        self.tls = tls
        self.client_certs = client_certs
        self.port = free_loopback_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def config(self) -> dict[str, Any]:
        http: dict[str, Any] = {"addr": self.host, "secret": secrets.token_hex(16)}
        if self.tls:
            http["tls"] = {"certificate": str(self.tls.server_cert),
                           "key": str(self.tls.server_key)}  # fmt: skip
            if self.client_certs:
                http["tls"]["clientcas"] = [str(self.tls.ca_cert)]
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.state_dir / "data")},
                        "delete": {"enabled": True}},
            "http": http,
        }  # fmt: skip
        if self.auth:
            config["auth"] = self.auth
        return config

    def start(self) -> ConfiguredRegistry:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / "registry.yml"
        path.write_text(json.dumps(self.config()))  # JSON is YAML
        with (self.state_dir / "registry.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(REGISTRY_BINARY), "serve", str(path)], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # a registry that never answered must not outlive the test
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 15
        verify: ssl.SSLContext | bool = client_context(self.tls) if self.tls else True
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError((self.state_dir / "registry.log").read_text())
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/v2/", verify=verify, timeout=0.5)
                return
            time.sleep(0.05)
        raise RuntimeError(f"docker-registry on {self.url} did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def seed_storage(state_dir: Path, repositories: dict[str, str]) -> dict[str, BuiltImage]:
    """Push demo images (by short name) as the given repositories into `state_dir`'s
    storage through a plain registry run for the purpose; returns them by repository."""
    images = {image.name: image for image in build_demo_images()}
    pushed: dict[str, BuiltImage] = {}
    with LocalRegistry(state_dir) as plain:
        for repository, name in repositories.items():
            push_image(plain.url, images[name], repository)
            pushed[repository] = images[name]
    return pushed


@contextlib.contextmanager
def running(registry: ConfiguredRegistry) -> Iterator[ConfiguredRegistry]:
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()
