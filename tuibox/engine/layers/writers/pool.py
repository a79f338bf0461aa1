"""File-writer processes (helper.py), started on demand, kept a minute for the next layer."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HELPER_SCRIPT = Path(__file__).with_name("helper.py")
IDLE_SECONDS = 60.0
_STOP_WAIT = 5.0


@dataclass
class Helper:
    """One running helper and the engine's end of its socket."""

    sock: socket.socket
    process: subprocess.Popen[bytes]
    idle_since: float = field(default_factory=time.monotonic)

    def stop(self) -> None:
        """Close its socket (it exits on EOF); kill it by its PID if it lingers."""
        self.sock.close()
        try:
            self.process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WriterPool:
    """At most `limit` helpers alive; `acquire` may hand out fewer than asked (none when
    a helper cannot be started), and the unpacker then writes those files itself.

    Lifecycle: `acquire` / `release` from unpacking threads; helpers idle for
    IDLE_SECONDS are stopped; `close` stops them all (engine shutdown).
    """

    def __init__(self, limit: int = 4, idle_seconds: float = IDLE_SECONDS) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle: list[Helper] = []
        self._busy: list[Helper] = []
        self._closed = False
        self._reaper: threading.Timer | None = None
        self.started = 0
        """Helpers started so far (for tests and the bench)."""

    def acquire(self, count: int) -> list[Helper]:
        with self._lock:
            if self._closed:
                return []
            taken = [self._idle.pop() for _ in range(min(count, len(self._idle)))]
            while len(taken) < count and self._count() + len(taken) < self.limit:
                helper = self._start()
                if helper is None:
                    break
                taken.append(helper)
            self._busy += taken
            return taken

    def release(self, helpers: list[Helper], *, healthy: bool) -> None:
        stopping: list[Helper] = []
        with self._lock:
            for helper in helpers:
                self._busy.remove(helper)
                if healthy and not self._closed and helper.process.poll() is None:
                    helper.idle_since = time.monotonic()
                    self._idle.append(helper)
                else:
                    stopping.append(helper)
            self._schedule_reap()
        for helper in stopping:
            helper.stop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            if self._reaper is not None:
                self._reaper.cancel()
        for helper in idle:
            helper.stop()

    @property
    def alive(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        return len(self._busy) + len(self._idle)

    def idle_pids(self) -> list[int]:
        with self._lock:
            return [helper.process.pid for helper in self._idle]

    def busy_pids(self) -> list[int]:
        with self._lock:
            return [helper.process.pid for helper in self._busy]

    def _start(self) -> Helper | None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(HELPER_SCRIPT), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, close_fds=True,
            )  # fmt: skip
        except OSError as err:
            log.warning("cannot start a file writer (%s): unpacking in the engine", err)
            ours.close()
            return None
        finally:
            theirs.close()
        self.started += 1
        return Helper(ours, process)

    def _schedule_reap(self) -> None:
        if self._reaper is not None or not self._idle or self._closed:
            return
        self._reaper = threading.Timer(self.idle_seconds, self._reap)
        self._reaper.daemon = True
        self._reaper.start()

    def _reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._reaper = None
            old = [h for h in self._idle if now - h.idle_since >= self.idle_seconds]
            self._idle = [h for h in self._idle if h not in old]
            self._schedule_reap()
        for helper in old:
            helper.stop()
