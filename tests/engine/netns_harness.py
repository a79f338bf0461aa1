"""Throwaway network namespaces for the network driver tests: a private "host", containers
and an "outside" host, with code run inside them from threads that setns(2) there.

Python 3.11 has no os.setns, so libc's is called; setns moves only the calling thread, and
a subprocess forked from that thread starts in the same namespace. Nothing a test does
here reaches the real host's links or firewall: deleting the namespaces removes it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
T = TypeVar("T")

_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(path: str, work: Callable[[], T]) -> T:
    """Run `work` in a fresh thread that joined the network namespace at `path`."""
    box: dict[str, Any] = {}

    def thread() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {path}")
        finally:
            os.close(fd)
        try:
            box["result"] = work()
        except BaseException as err:  # handed to the caller's thread
            box["error"] = err

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


class Namespaces:
    """Namespaces made by one test, all deleted by cleanup() (also after a failure)."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.names: list[str] = []
        self.servers: list[socket.socket] = []
        self.host = self.add("host")
        self.ip("link", "set", "lo", "up", ns=self.host)

    def add(self, role: str) -> str:
        name = f"tbxtest-{self.tag}-{role}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.names.append(name)
        return name

    def path(self, name: str) -> str:
        return f"{NETNS_DIR}/{name}"

    def ip(self, *args: str, ns: str) -> str:
        return subprocess.run(
            ["ip", "-n", ns, *args], check=True, capture_output=True, text=True
        ).stdout

    def sh(self, *argv: str, ns: str) -> str:
        return subprocess.run(
            ["ip", "netns", "exec", ns, *argv], check=True, capture_output=True, text=True
        ).stdout

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine (a driver call) on an event loop inside the private host."""
        return in_netns(self.path(self.host), lambda: asyncio.run(coro))

    def serve(self, ns: str, address: str, port: int, proto: str = "tcp") -> None:
        """A server in `ns` that answers every connection or datagram with the
        client's address as it sees it (so a test can tell whether NAT happened)."""

        def bind() -> socket.socket:
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            sock = socket.socket(socket.AF_INET, kind)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            if proto == "tcp":
                sock.listen(16)
            return sock

        sock = in_netns(self.path(ns), bind)
        self.servers.append(sock)
        threading.Thread(target=_answer, args=(sock, proto), daemon=True).start()

    def ask(
        self, ns: str, address: str, port: int, proto: str = "tcp", timeout: float = 3.0
    ) -> str:
        """From `ns`, reach address:port; the server's answer, or "" when nothing answered."""

        def request() -> str:
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, kind) as sock:
                sock.settimeout(timeout)
                try:
                    if proto == "tcp":
                        sock.connect((address, port))
                        return sock.recv(64).decode()
                    sock.sendto(b"?", (address, port))
                    return sock.recv(64).decode()
                except OSError:
                    return ""

        return in_netns(self.path(ns), request)

    def cleanup(self) -> None:
        for sock in self.servers:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept/recv
            sock.close()
        for name in reversed(self.names):
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def _answer(sock: socket.socket, proto: str) -> None:
    while True:
        try:
            if proto == "tcp":
                conn, peer = sock.accept()
                with conn:
                    conn.sendall(peer[0].encode())
            else:
                _, peer = sock.recvfrom(64)
                if peer is None:  # woken by cleanup's shutdown
                    return
                sock.sendto(peer[0].encode(), peer)
        except OSError:
            return
