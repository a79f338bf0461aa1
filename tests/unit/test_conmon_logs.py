"""Parsing and following conmon's k8s-file logs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tuibox.engine.runtime.logs import (
    LogRecord,
    log_offset,
    parse_log_line,
    parse_timestamp,
    read_log,
    tail_offset,
)

T0 = "2026-11-28T17:45:10.779192938+00:00"
T0_NS = 1795887910_779192938


def line(text: str, stream: str = "stdout", tag: str = "F", stamp: str = T0) -> bytes:
    return f"{stamp} {stream} {tag} {text}\n".encode()


async def collect(**kwargs: object) -> list[LogRecord]:
    return [record async for record in read_log(**kwargs)]  # type: ignore[arg-type]


def test_timestamp_with_nanoseconds_and_offsets() -> None:
    assert parse_timestamp(T0.encode()) == T0_NS
    assert parse_timestamp(b"2026-11-28T17:45:10.779192938Z") == T0_NS
    assert parse_timestamp(b"2026-11-28T19:45:10.5+02:00") == T0_NS - 279192938
    assert parse_timestamp(b"2026-11-28T17:45:10Z") == T0_NS - 779192938
    assert parse_timestamp(b"yesterday") is None


def test_full_partial_and_stderr_lines() -> None:
    assert parse_log_line(line("hello")) == LogRecord(T0_NS, "stdout", b"hello\n")
    assert parse_log_line(line("part", tag="P")) == LogRecord(T0_NS, "stdout", b"part")
    assert parse_log_line(line("oops", stream="stderr")).stream == "stderr"  # type: ignore[union-attr]
    assert parse_log_line(line("a  b ")) == LogRecord(T0_NS, "stdout", b"a  b \n")


def test_an_empty_full_line_is_a_bare_newline() -> None:
    assert parse_log_line(f"{T0} stdout F\n".encode()) == LogRecord(T0_NS, "stdout", b"\n")
    assert parse_log_line(f"{T0} stdout F \n".encode()) == LogRecord(T0_NS, "stdout", b"\n")


def test_malformed_lines_are_none() -> None:
    assert parse_log_line(b"") is None
    assert parse_log_line(line("x", stream="stdin")) is None
    assert parse_log_line(line("x", tag="Q")) is None
    assert parse_log_line(b"not a time stdout F x") is None


def test_offset_and_tail_offset(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    assert log_offset(log) == 0
    log.write_bytes(line("one") + line("two") + line("three"))
    assert log_offset(log) == log.stat().st_size
    assert tail_offset(log, 1) == len(line("one") + line("two"))
    assert tail_offset(log, 2) == len(line("one"))
    assert tail_offset(log, 3) == 0
    assert tail_offset(log, 10) == 0
    assert tail_offset(log, 0) == log.stat().st_size


async def test_read_all_tail_and_offset_without_follow(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    log.write_bytes(line("one") + line("two", tag="P") + line("three", stream="stderr"))
    exited = asyncio.Event()
    every = await collect(path=log, follow=False, exited=exited)
    assert [r.data for r in every] == [b"one\n", b"two", b"three\n"]
    last = await collect(path=log, follow=False, exited=exited, tail=1)
    assert [r.data for r in last] == [b"three\n"]
    later = await collect(path=log, follow=False, exited=exited, start_offset=len(line("one")))
    assert [r.data for r in later] == [b"two", b"three\n"]


async def test_missing_file_without_follow_yields_nothing(tmp_path: Path) -> None:
    assert await collect(path=tmp_path / "none.log", follow=False, exited=asyncio.Event()) == []


async def test_follow_sees_new_records_and_ends_at_once_on_exit(tmp_path: Path) -> None:
    log = tmp_path / "c.log"
    exited = asyncio.Event()
    seen: list[bytes] = []

    async def follow() -> None:
        async for record in read_log(log, follow=True, exited=exited):
            seen.append(record.data)

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.05)  # the file does not exist yet: the reader waits for it
    log.write_bytes(line("first"))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if seen:
            break
    assert seen == [b"first\n"]
    with log.open("ab") as out:
        out.write(line("last"))
    started = time.monotonic()
    exited.set()
    await asyncio.wait_for(task, 1)
    assert time.monotonic() - started < 0.02
    assert seen == [b"first\n", b"last\n"]


async def test_follow_of_a_file_that_never_appears_ends_on_exit(tmp_path: Path) -> None:
    exited = asyncio.Event()
    task = asyncio.create_task(collect(path=tmp_path / "x.log", follow=True, exited=exited))
    await asyncio.sleep(0.03)
    exited.set()
    assert await asyncio.wait_for(task, 1) == []
