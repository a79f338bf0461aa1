"""Tests demultiplexing of Docker's 8-byte log frames and the logs stream."""

from __future__ import annotations

import struct

import httpx

from tuibox.client import EngineClient, FrameDemuxer, LogChunk


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def test_whole_frames_are_split_by_stream() -> None:
    data = frame(1, b"hello\n") + frame(2, b"oops\n") + frame(3, b"broken\n")
    assert FrameDemuxer().feed(data) == [
        LogChunk("stdout", "hello\n"),
        LogChunk("stderr", "oops\n"),
        LogChunk("system", "broken\n"),
    ]


def test_frames_split_across_reads_byte_by_byte() -> None:
    data = frame(1, b"first\n") + frame(2, b"second\n")
    demuxer = FrameDemuxer()
    chunks: list[LogChunk] = []
    for index in range(len(data)):
        chunks += demuxer.feed(data[index : index + 1])
    assert chunks == [LogChunk("stdout", "first\n"), LogChunk("stderr", "second\n")]
    assert demuxer.pending_bytes == 0


def test_utf8_character_split_between_frames_is_kept_whole() -> None:
    encoded = "größe €\n".encode()
    cut = encoded.index("€".encode()) + 1
    chunks = FrameDemuxer().feed(frame(1, encoded[:cut]) + frame(1, encoded[cut:]))
    assert "".join(chunk.text for chunk in chunks) == "größe €\n"


def test_empty_frames_are_skipped_and_partial_header_waits() -> None:
    demuxer = FrameDemuxer()
    assert demuxer.feed(frame(1, b"") + frame(1, b"x")[:5]) == []
    assert demuxer.pending_bytes == 5


def logs_client(body: bytes, tty: bool, content_type: str) -> tuple[EngineClient, list[str]]:
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_ping":
            return httpx.Response(200, headers={"Api-Version": "1.44"})
        if request.url.path.endswith("/json"):
            return httpx.Response(200, json={"Id": "c" * 64, "Config": {"Tty": tty}})
        queries.append(str(request.url.query, "ascii"))
        return httpx.Response(200, content=body, headers={"Content-Type": content_type})

    return EngineClient("/fake.sock", transport=httpx.MockTransport(handler)), queries


async def test_logs_demultiplexes_a_non_tty_container() -> None:
    body = frame(1, b"out line\n") + frame(2, b"err line\n")
    client, queries = logs_client(body, False, "application/vnd.docker.multiplexed-stream")
    chunks = [chunk async for chunk in client.logs("web", follow=True, tail=50)]
    assert chunks == [LogChunk("stdout", "out line\n"), LogChunk("stderr", "err line\n")]
    assert queries == ["stdout=1&stderr=1&follow=1&tail=50&timestamps=0"]


async def test_logs_of_a_tty_container_are_raw_text() -> None:
    client, _ = logs_client(b"\x1b[1mraw\x1b[0m\r\n", True, "application/vnd.docker.raw-stream")
    chunks = [chunk async for chunk in client.logs("web", follow=False)]
    assert chunks == [LogChunk("stdout", "\x1b[1mraw\x1b[0m\r\n")]


async def test_logs_tty_flag_decides_when_content_type_is_silent() -> None:
    client, _ = logs_client(b"plain\n", True, "application/octet-stream")
    chunks = [chunk async for chunk in client.logs("web", follow=False)]
    assert chunks == [LogChunk("stdout", "plain\n")]


def test_flush_at_end_of_stream_returns_a_trailing_partial_character() -> None:
    demuxer = FrameDemuxer()
    assert demuxer.feed(frame(1, "done é".encode()[:-1])) == [LogChunk("stdout", "done ")]
    assert demuxer.flush() == [LogChunk("stdout", "\ufffd")]
    assert demuxer.flush() == []


async def test_logs_stream_ending_mid_character_still_yields_it() -> None:
    body = frame(2, "last words ü".encode()[:-1])
    client, _ = logs_client(body, False, "application/vnd.docker.multiplexed-stream")
    chunks = [chunk async for chunk in client.logs("web", follow=False)]
    assert chunks == [LogChunk("stderr", "last words "), LogChunk("stderr", "\ufffd")]


async def test_raw_stream_ending_mid_character_still_yields_it() -> None:
    client, _ = logs_client("tty ü".encode()[:-1], True, "application/vnd.docker.raw-stream")
    chunks = [chunk async for chunk in client.logs("web", follow=False)]
    assert "".join(chunk.text for chunk in chunks) == "tty \ufffd"
