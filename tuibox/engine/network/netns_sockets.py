"""Sockets made inside another network namespace, from a short-lived thread that setns()es.

A socket belongs for life to the namespace it was created in, whichever thread later uses
it, so the engine's event loop can serve a socket bound to 127.0.0.11 inside a container.
setns affects only the calling thread; the thread switches back before it ends and, if it
cannot, ends anyway, so no other code ever runs in the wrong namespace. Such a socket pins
the namespace until it is closed.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import threading
from collections.abc import Callable
from typing import TypeVar

from tuibox.engine.domain.errors import NotFound, RuntimeFailure

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _in_netns(netns_path: str, work: Callable[[], T]) -> T:
    """Run `work` in the namespace at `netns_path`, in the calling thread (which must be a
    thread of its own: it is left in the namespace if switching back fails)."""
    try:
        target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"network namespace {netns_path} does not exist") from None
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            _setns(target)
        except OSError as error:
            raise RuntimeFailure(f"setns {netns_path}: {error.strerror}") from None
        try:
            return work()
        finally:
            _setns(home)
    finally:
        os.close(home)
        os.close(target)


async def run_in_netns(netns_path: str, work: Callable[[], T]) -> T:
    """Run `work` (quick and blocking: socket creation) in a new thread inside the
    namespace at `netns_path`, without blocking the loop; its result or exception."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            _discard(result)
        elif error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def thread_main() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = _in_netns(netns_path, work)
        except BaseException as raised:
            error = raised
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:  # the loop is closed: nobody will take the sockets
            _discard(result)

    threading.Thread(target=thread_main, name="tuibox-netns", daemon=True).start()
    return await done


def _discard(result: object) -> None:
    """Close what a cancelled caller will never receive (a socket would pin the namespace)."""
    items = result if isinstance(result, tuple) else (result,)
    for item in items:
        if isinstance(item, socket.socket):
            item.close()


def bound_socket(kind: socket.SocketKind, address: str, port: int = 0) -> socket.socket:
    """A non-blocking IPv4 socket bound to address:port (TCP ones listening)."""
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.setblocking(False)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def unbound_socket(family: socket.AddressFamily, kind: socket.SocketKind) -> socket.socket:
    """A non-blocking socket, to connect to an upstream from inside the namespace."""
    sock = socket.socket(family, kind)
    sock.setblocking(False)
    return sock
