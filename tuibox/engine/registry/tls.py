"""TLS for registries: the system CAs plus certs.d/<host:port>/ (CAs `*.crt`, client pairs
`*.cert` + `*.key`), laid out as Docker's /etc/docker/certs.d."""

from __future__ import annotations

import ssl
from pathlib import Path

from tuibox.engine.domain.errors import InvalidArgument


def certs_signature(certs_dir: Path | None, host: str) -> tuple[tuple[str, int], ...]:
    """What the host's certs.d holds (names and mtimes): a context is remade when it changes."""
    directory = certs_dir / host if certs_dir is not None else None
    if directory is None or not directory.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.iterdir()))


def tls_context(certs_dir: Path | None, host: str, verify: bool) -> ssl.SSLContext:
    """The SSL context for one registry host (`host:port`, as certs.d names its folders).

    `verify` False is an insecure registry's first attempt: no certificate check, but
    client certificates are still presented.

    Raises:
        InvalidArgument: a client certificate without its key or the other way round
            (dockerd's wording), or a file the ssl module cannot load.
    """
    if verify:
        context = ssl.create_default_context()
    else:  # nothing is checked: loading the system CAs (about 15 ms) would be wasted
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    directory = certs_dir / host if certs_dir is not None else None
    if directory is None or not directory.is_dir():
        return context
    try:
        for ca in sorted(directory.glob("*.crt")):
            context.load_verify_locations(cafile=str(ca))
        for cert in sorted(directory.glob("*.cert")):
            key = cert.with_suffix(".key")
            if not key.exists():
                raise InvalidArgument(
                    f"missing key {key.name} for client certificate {cert.name}. CA "
                    "certificates must use the extension .crt"
                )
            context.load_cert_chain(str(cert), str(key))
        for key in sorted(directory.glob("*.key")):
            if not key.with_suffix(".cert").exists():
                raise InvalidArgument(
                    f"missing client certificate {key.with_suffix('.cert').name} for key "
                    f"{key.name}"
                )
    except (ssl.SSLError, OSError) as err:
        raise InvalidArgument(f"cannot load the certificates in {directory}: {err}") from None
    return context
