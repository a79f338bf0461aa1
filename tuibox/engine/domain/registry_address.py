"""Registry addresses as logins name them: `docker.io` for Docker Hub, else host[:port]."""

from __future__ import annotations

import re

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import DOCKER_HUB

HUB_ALIASES = frozenset({
    "", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com",
})  # fmt: skip
"""Every name the docker CLI and dockerd take for Docker Hub (`https://index.docker.io/v1/`)."""
_HOST_PORT = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?|\[[0-9a-fA-F:.]+\](:[0-9]{1,5})?"
)


def split_server_address(server: str) -> tuple[str, str | None]:
    """The registry key and the scheme the address named, if any.

    `https://index.docker.io/v1/` and `docker.io` give ("docker.io", ...); `http://h:5000`
    gives ("h:5000", "http"); `h:5000/v2/` gives ("h:5000", None).

    Raises:
        InvalidArgument: not a registry address.
    """
    text = server.strip()
    scheme: str | None = None
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            scheme, text = prefix[:-3], text[len(prefix):]
    host = text.split("/", 1)[0]
    if host.lower() in HUB_ALIASES:
        return DOCKER_HUB, scheme
    if not _HOST_PORT.fullmatch(host):
        raise InvalidArgument(f"invalid registry address {server!r}: expected host[:port]")
    return host, scheme


def registry_key(server: str) -> str:
    """`split_server_address`'s key alone."""
    return split_server_address(server)[0]
