"""A tar written by a thread into a pipe, read back chunk by chunk on the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

CHUNK = 65536
HELD_BACK = 32 * 1024
"""More than a tar's end: two zero blocks and the padding to a 10 KiB record."""


async def thread_chunks(write: Callable[[BinaryIO], None], name: str) -> AsyncIterator[bytes]:
    """Run `write(pipe)` in a thread and yield what it writes.

    Raises:
        OSError: the writer failed; what it wrote before is yielded first.
    """
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                write(pipe)
        except BrokenPipeError:
            pass  # the reader stopped reading
        except BaseException as err:
            failure.append(err)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while chunk := await asyncio.to_thread(pipe.read, CHUNK):
                yield chunk
    finally:
        await asyncio.to_thread(thread.join)
    if failure:
        raise OSError(f"the archive broke off: {failure[0]}")


async def all_but_the_end(chunks: AsyncIterator[bytes], end: bytearray) -> AsyncIterator[bytes]:
    """The chunks, less their last HELD_BACK bytes, which are left in `end` for the caller
    to send after its cleanup: a client that has read a tar to its end blocks stops there
    (the docker CLI does), so whatever must be done by then (an unmount) goes first."""
    async for chunk in chunks:
        end += chunk
        if len(end) > HELD_BACK:
            ready = bytes(end[:-HELD_BACK])
            del end[:-HELD_BACK]
            yield ready
