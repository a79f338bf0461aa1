"""A network namespace of its own for each test engine, and a relay to the loopback registry.

Every engine test engine runs in a namespace the test session made (`ip netns add`): its
bridges, veths and iptables rules live there and go when the namespace is deleted, even
after a failure, and two engines alive at once never see each other's networks. The
engine still talks to the tests through its Unix socket; the one thing it needs from the
host's loopback, the registry, is relayed: a listener on the same port inside the
namespace whose connections are carried to the host's 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

from tests.engine.netns_harness import in_netns

NETNS_DIR = "/run/netns"
T = TypeVar("T")


class EngineNamespace:
    """One named network namespace with loopback up, and the relays into it."""

    def __init__(self) -> None:
        self.name = f"tbxeng{uuid.uuid4().hex[:8]}"
        self.path = f"{NETNS_DIR}/{self.name}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        self._listeners: list[socket.socket] = []
        self._closing = threading.Event()

    def run(self, work: Callable[[], T]) -> T:
        """Run `work` in a thread inside the namespace (curl 127.0.0.1:<published port>)."""
        return in_netns(self.path, work)

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside the namespace's network (nothing else of the process changes)."""
        return ["nsenter", f"--net={self.path}", "--", *argv]

    def command_list(self, argv: list[str]) -> list[str]:
        """`command` for an argv given as a list."""
        return self.command(*argv)

    def relay_loopback(self, url: str) -> None:
        """Carry connections to 127.0.0.1:<url's port> in the namespace to the host's."""
        port = urlsplit(url).port
        assert port is not None, url

        def listen() -> socket.socket:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", port))
            server.listen(64)
            return server

        server = self.run(listen)  # the socket stays in the namespace it was made in
        self._listeners.append(server)
        threading.Thread(target=self._accept, args=(server, port), daemon=True).start()

    def _accept(self, server: socket.socket, port: int) -> None:
        while not self._closing.is_set():
            try:
                inside, _ = server.accept()
            except OSError:
                return
            try:
                outside = socket.create_connection(("127.0.0.1", port), timeout=10)
            except OSError:
                inside.close()
                continue
            outside.settimeout(None)
            done = threading.Barrier(2, action=_closer(inside, outside))
            for source, target in ((inside, outside), (outside, inside)):
                threading.Thread(target=_pump, args=(source, target, done), daemon=True).start()

    def delete(self) -> None:
        self._closing.set()
        for server in self._listeners:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def _closer(*sockets: socket.socket) -> Callable[[], None]:
    def close() -> None:
        for sock in sockets:
            sock.close()

    return close


def _pump(source: socket.socket, target: socket.socket, done: threading.Barrier) -> None:
    """Copy one direction; the second of the pair to finish closes both sockets."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        with contextlib.suppress(threading.BrokenBarrierError):
            done.wait()


@contextlib.contextmanager
def engine_namespace(registry_url: str | None) -> Iterator[EngineNamespace]:
    namespace = EngineNamespace()
    try:
        if registry_url:
            namespace.relay_loopback(registry_url)
        yield namespace
    finally:
        namespace.delete()
