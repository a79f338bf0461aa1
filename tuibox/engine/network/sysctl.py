"""Network sysctls under /proc/sys/net, as the calling thread's network namespace sees them."""

from __future__ import annotations

from pathlib import Path

from tuibox.engine.domain.errors import RuntimeFailure

PROC_SYS_NET = Path("/proc/sys/net")
IP_FORWARD = "ipv4/ip_forward"


def read(key: str) -> str:
    return (PROC_SYS_NET / key).read_text().strip()


def write(key: str, value: str, *, optional: bool = False) -> None:
    """Set `net.<key>` (slash-separated); optional keys may be absent (IPv6 off)."""
    path = PROC_SYS_NET / key
    try:
        if path.read_text().strip() != value:
            path.write_text(value)
    except FileNotFoundError:
        if optional:
            return
        raise RuntimeFailure(
            f"cannot set net.{key.replace('/', '.')}: {path} does not exist"
        ) from None
    except OSError as err:
        raise RuntimeFailure(f"cannot set net.{key.replace('/', '.')}={value}: {err}") from err
