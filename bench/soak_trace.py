"""A relay between the docker CLI and the engine socket that times each API request."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HEAD ")


@dataclass
class Call:
    """One request seen on a connection: when it was sent and when its answer began."""

    connection: int
    sent: float
    line: str
    answered: float | None = None
    status: str = ""


@dataclass
class ApiTrace:
    """Serves ``socket`` and relays each connection to ``engine_host``; off unless enabled."""

    socket: Path
    engine_host: str
    enabled: bool = True
    calls: list[Call] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """Where the CLI should go: the relay when enabled, else the engine itself."""
        return f"unix://{self.socket}" if self.enabled else self.engine_host

    def __enter__(self) -> ApiTrace:
        if not self.enabled:
            return self
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        numbers = itertools.count(1)
        engine_path = self.engine_host.removeprefix("unix://")

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            number = next(numbers)
            pending: list[Call] = []
            up_reader, up_writer = await asyncio.open_unix_connection(engine_path)
            await asyncio.gather(self._pump(reader, up_writer, number, pending, True),
                                 self._pump(up_reader, writer, number, pending, False))  # fmt: skip

        server = self._loop.run_until_complete(asyncio.start_unix_server(relay, str(self.socket)))
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter,
                    number: int, pending: list[Call], from_client: bool) -> None:  # fmt: skip
        try:
            while chunk := await source.read(65536):
                now = time.time()
                if from_client and chunk.startswith(METHODS):
                    call = Call(number, now, chunk.split(b"\r\n", 1)[0].decode(errors="replace"))
                    pending.append(call)
                    self.calls.append(call)
                elif not from_client and chunk.startswith(b"HTTP/1.") and pending:
                    call = pending.pop(0)
                    call.answered = now
                    call.status = chunk.split(b"\r\n", 1)[0].decode(errors="replace")[9:]
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, OSError):
                sink.close()

    def calls_between(self, start: float, end: float) -> list[str]:
        """The calls sent within [start, end], each with when and how long its answer took."""
        lines = []
        for call in list(self.calls):
            if start <= call.sent <= end:
                answered = call.answered
                took = f"{(answered - call.sent) * 1000:7.1f} ms" if answered else "no answer"
                lines.append(f"+{call.sent - start:6.3f} s conn {call.connection:<5} {took} "
                             f"{call.status or '-':>12}  {call.line}")  # fmt: skip
        return lines
