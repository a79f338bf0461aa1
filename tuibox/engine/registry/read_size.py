"""How much the registry client's HTTP/1.1 connections read at once: 1 MiB, not 64 KiB.

httpcore reads a response body 64 KiB at a time. Under asyncio the event loop receives up
to 256 KiB per wakeup, and anyio hands each read a 64 KiB slice of that, copying the rest
back into its queue; every read is also a trip through the loop, which takes the GIL from
the threads unpacking layers. Reading up to 1 MiB takes each received chunk whole. In the
pull bench (bench/README.md) a cold pull took 0.83 s with it against 1.15 s without, in
interleaved rounds of one session.
"""

from __future__ import annotations

import httpcore

READ_SIZE = 1024 * 1024


def widen_reads() -> None:
    """Set httpcore's read size for this process (the engine's, at start).

    Raises:
        RuntimeError: httpcore no longer has the setting (a newer release): say so at once
            rather than lose the speed without a word.
    """
    connection = httpcore.AsyncHTTP11Connection
    if not isinstance(getattr(connection, "READ_NUM_BYTES", None), int):
        raise RuntimeError("httpcore.AsyncHTTP11Connection.READ_NUM_BYTES is gone; "
                           "see tuibox/engine/registry/read_size.py")  # fmt: skip
    connection.READ_NUM_BYTES = READ_SIZE
