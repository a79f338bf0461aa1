"""Provides TerminalBridge: the user's terminal wired to a TTY, for `x` (a shell in an exec)
and `a` (attach to the container's own terminal).

It runs while the TUI is suspended, synchronously: the terminal goes raw, keys go to the
hijacked connection and its output to the screen, until the stream ends (the process
exits, or the engine detached the client on its detach keys). A terminal resize
(SIGWINCH) is passed on. Any engine (tuibox, dockerd, podman) serves it, since it is the
Docker API's own exec start and attach.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import termios
import tty
from types import FrameType
from typing import Any

READ_SIZE = 32768


class TerminalBridge:
    """One TTY session to bridge: how to start it and resize it on the engine's Unix socket."""

    def __init__(
        self, socket_path: str, start_path: str, start_body: bytes | None, resize_path: str,
        banner: str = "",
    ) -> None:  # fmt: skip
        self.socket_path = socket_path
        self.start_path = start_path
        self.start_body = start_body
        self.resize_path = resize_path
        self.banner = banner
        """Written to the terminal before the session starts (the detach keys, say)."""

    @classmethod
    def for_exec(cls, socket_path: str, api_prefix: str, exec_id: str) -> TerminalBridge:
        """A TTY exec, started attached (POST /exec/{id}/start)."""
        body = json.dumps({"Detach": False, "Tty": True}).encode()
        return cls(socket_path, f"{api_prefix}/exec/{exec_id}/start", body,
                   f"{api_prefix}/exec/{exec_id}/resize")  # fmt: skip

    @classmethod
    def for_attach(
        cls, socket_path: str, api_prefix: str, container_id: str, banner: str = ""
    ) -> TerminalBridge:
        """The container's own terminal (POST /containers/{id}/attach with stdin)."""
        query = "stream=1&stdin=1&stdout=1&stderr=1"
        return cls(socket_path, f"{api_prefix}/containers/{container_id}/attach?{query}", None,
                   f"{api_prefix}/containers/{container_id}/resize", banner)  # fmt: skip

    def run(self, stdin_fd: int, stdout_fd: int) -> None:
        """Bridge until the exec's output ends; never raises (the TUI must come back).

        Problems are written to the terminal, which the user reads before the TUI returns.
        """
        try:
            self._run(stdin_fd, stdout_fd)
        except (OSError, ValueError) as err:
            with contextlib.suppress(OSError):
                os.write(stdout_fd, f"\r\ntuibox: the shell ended: {err}\r\n".encode())

    def _run(self, stdin_fd: int, stdout_fd: int) -> None:
        if self.banner:
            _write_all(stdout_fd, self.banner.encode())
        connection = self._start()
        resized = [True]

        def on_winch(_signum: int, _frame: FrameType | None) -> None:
            resized[0] = True

        saved = termios.tcgetattr(stdin_fd) if os.isatty(stdin_fd) else None
        installed = True
        previous: Any = None
        try:  # only the main thread may set handlers; elsewhere the size is set once
            previous = signal.signal(signal.SIGWINCH, on_winch)
        except ValueError:
            installed = False
        try:
            if saved is not None:
                tty.setraw(stdin_fd)
            stdin_open = True
            while True:
                if resized[0]:
                    resized[0] = False
                    self._resize(stdout_fd)
                watched = [connection.fileno(), stdin_fd] if stdin_open else [connection.fileno()]
                try:
                    readable, _, _ = select.select(watched, [], [], 0.5)
                except InterruptedError:
                    continue
                if connection.fileno() in readable:
                    data = connection.recv(READ_SIZE)
                    if not data:
                        return
                    _write_all(stdout_fd, data)
                if stdin_open and stdin_fd in readable:
                    keys = os.read(stdin_fd, READ_SIZE)
                    if keys:
                        connection.sendall(keys)
                    else:
                        stdin_open = False
                        connection.shutdown(socket.SHUT_WR)
        finally:
            if installed:
                signal.signal(signal.SIGWINCH, previous or signal.SIG_DFL)
            if saved is not None:
                termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
            connection.close()

    def _request(self, head: str, body: bytes = b"") -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.socket_path)
        sock.sendall(head.encode() + body)
        return sock

    def _start(self) -> socket.socket:
        body = self.start_body or b""
        kind = "Content-Type: application/json\r\n" if self.start_body is not None else ""
        sock = self._request(
            f"POST {self.start_path} HTTP/1.1\r\nHost: engine\r\n{kind}"
            "Connection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n",
            body,
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                raise OSError("the engine closed the connection before the stream started")
            head += chunk
            if len(head) > 65536:
                raise ValueError("the engine's answer has no end of headers")
        status = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
        if status not in (b"101", b"200"):
            raise OSError(f"the engine refused: {head.splitlines()[0].decode()}")
        return sock

    def _resize(self, stdout_fd: int) -> None:
        with contextlib.suppress(OSError):
            columns, lines = os.get_terminal_size(stdout_fd)
            sock = self._request(
                f"POST {self.resize_path}?h={lines}&w={columns} "
                "HTTP/1.1\r\nHost: engine\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            sock.settimeout(5)
            with sock:
                sock.recv(1024)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
