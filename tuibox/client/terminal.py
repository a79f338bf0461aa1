"""Provides TerminalBridge: the user's terminal wired to an exec's TTY, for `x` (a shell).

It runs while the TUI is suspended, synchronously: the terminal goes raw, keys go to the
exec's hijacked connection and its output to the screen, until the shell exits. A
terminal resize (SIGWINCH) is passed on. Any engine (tuibox, dockerd, podman) serves it,
since it is the Docker API's own exec start.
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
    """One exec session to bridge: its start path on the engine's Unix socket."""

    def __init__(self, socket_path: str, api_prefix: str, exec_id: str) -> None:
        self.socket_path = socket_path
        self.api_prefix = api_prefix
        self.exec_id = exec_id

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
        body = json.dumps({"Detach": False, "Tty": True}).encode()
        sock = self._request(
            f"POST {self.api_prefix}/exec/{self.exec_id}/start HTTP/1.1\r\nHost: engine\r\n"
            "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
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
            raise OSError(f"the engine refused the shell: {head.splitlines()[0].decode()}")
        return sock

    def _resize(self, stdout_fd: int) -> None:
        with contextlib.suppress(OSError):
            columns, lines = os.get_terminal_size(stdout_fd)
            sock = self._request(
                f"POST {self.api_prefix}/exec/{self.exec_id}/resize?h={lines}&w={columns} "
                "HTTP/1.1\r\nHost: engine\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            sock.settimeout(5)
            with sock:
                sock.recv(1024)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
