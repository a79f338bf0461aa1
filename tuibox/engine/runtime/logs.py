"""Read conmon's k8s-file logs: ``<RFC3339Nano time> <stdout|stderr> <P|F> <text>`` lines."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from tuibox import timestamps

FOLLOW_POLL_S = 0.025
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class LogRecord:
    """One chunk of container output; ``data`` ends with a newline unless it was partial."""

    time_ns: int
    stream: Literal["stdout", "stderr"]
    data: bytes


def parse_timestamp(text: bytes) -> int | None:
    """Return nanoseconds since the epoch of an RFC 3339 timestamp with up to 9 decimals."""
    return timestamps.parse_ns(text)


def parse_log_line(line: bytes) -> LogRecord | None:
    """Parse one k8s-file line (with or without its trailing newline); None if malformed."""
    line = line.removesuffix(b"\n")
    parts = line.split(b" ", 3)
    if len(parts) < 3:
        return None
    stamp, stream, tag = parts[0], parts[1], parts[2]
    text = parts[3] if len(parts) == 4 else b""
    time_ns = parse_timestamp(stamp)
    if time_ns is None or stream not in (b"stdout", b"stderr") or tag not in (b"P", b"F"):
        return None
    data = text + b"\n" if tag == b"F" else text
    return LogRecord(time_ns, "stdout" if stream == b"stdout" else "stderr", data)


def log_offset(path: Path) -> int:
    """Return the current size of the log (where an attach starts reading), 0 if missing."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def tail_offset(path: Path, tail: int) -> int:
    """Return the offset where the last ``tail`` lines of the file begin (0 for all)."""
    with open(path, "rb") as log:
        end = log.seek(0, os.SEEK_END)
        position, newlines = end, 0
        if tail <= 0:
            return end
        while position > 0:
            step = min(READ_CHUNK, position)
            position -= step
            log.seek(position)
            block = log.read(step)
            if position + step == end and block.endswith(b"\n"):
                block = block[:-1]  # the final newline ends the last line, it starts none
            for index in range(len(block) - 1, -1, -1):
                if block[index] == 0x0A:
                    newlines += 1
                    if newlines == tail:
                        return position + index + 1
        return 0


async def read_log(
    path: Path,
    *,
    follow: bool,
    exited: asyncio.Event,
    start_offset: int | None = None,
    tail: int | None = None,
) -> AsyncIterator[LogRecord]:
    """Yield log records from ``start_offset``, the last ``tail`` records, or the beginning.

    With ``follow`` it keeps reading new records until ``exited`` is set, then drains what is
    left and ends at once. A missing file is waited for (follow) or yields nothing.
    """
    log = await _open_when_present(path, follow=follow, exited=exited)
    if log is None:
        return
    with log:
        if start_offset is not None:
            offset = start_offset
        elif tail is not None:
            offset = await asyncio.to_thread(tail_offset, path, tail)
        else:
            offset = 0
        log.seek(offset)
        pending = b""
        while True:
            finished = exited.is_set() or not follow  # decided before reading: nothing is lost
            chunk = await asyncio.to_thread(log.read, READ_CHUNK)
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                record = parse_log_line(line)
                if record is not None:
                    yield record
            if chunk:
                continue
            if finished:
                break
            await _wait_event(exited, FOLLOW_POLL_S)


async def _open_when_present(
    path: Path, *, follow: bool, exited: asyncio.Event
) -> BinaryIO | None:
    while True:
        finished = exited.is_set() or not follow
        with contextlib.suppress(FileNotFoundError):
            return open(path, "rb")  # the caller closes it
        if finished:
            return None
        await _wait_event(exited, FOLLOW_POLL_S)


async def _wait_event(event: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
