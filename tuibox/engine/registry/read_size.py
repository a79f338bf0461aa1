"""How much the registry client's HTTP/1.1 connections read at once: 1 MiB, not 64 KiB.

httpcore reads a response body 64 KiB at a time. Under asyncio the event loop receives up
to 256 KiB per wakeup, and anyio hands each read a 64 KiB slice of that, copying the rest
back into its queue; every read is also a trip through the loop, which takes the GIL from
the threads unpacking layers. Reading up to 1 MiB takes each received chunk whole. In the
pull bench (bench/README.md) a cold pull took 0.83 s with it against 1.15 s without, in
interleaved rounds of one session.
"""

from __future__ import annotations

import logging

import httpcore

READ_SIZE = 1024 * 1024
log = logging.getLogger(__name__)


def widen_reads() -> bool:
    """Set httpcore's read size for this process (the engine's, at start); False, with a
    warning in the log, when httpcore no longer has the setting (pulls work, slower). The
    suite's test of it fails then too, so an upgrade of httpcore cannot lose it unseen."""
    connection = httpcore.AsyncHTTP11Connection
    if not isinstance(getattr(connection, "READ_NUM_BYTES", None), int):
        log.warning("httpcore.AsyncHTTP11Connection.READ_NUM_BYTES is gone: registry "
                    "downloads read 64 KiB at a time (see tuibox/engine/registry/read_size.py)")
        return False
    connection.READ_NUM_BYTES = READ_SIZE
    return True
