"""Provides the demultiplexer for Docker's 8-byte-header log and attach frames."""

from __future__ import annotations

import codecs
import struct

from tuibox.client.models import LogChunk, LogStream

FRAME_HEADER = struct.Struct(">BxxxL")
STREAM_NAMES: dict[int, LogStream] = {0: "stdin", 1: "stdout", 2: "stderr", 3: "system"}


class FrameDemuxer:
    """Splits a multiplexed byte stream into LogChunks, whatever the read boundaries.

    Each frame is `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes.
    Text is decoded per stream with an incremental UTF-8 decoder, so a character split
    across frames or reads is never mangled.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace")
            for name in STREAM_NAMES.values()
        }

    def feed(self, data: bytes) -> list[LogChunk]:
        """Add bytes read from the socket and return every frame now complete.

        Args:
            data: The next bytes of the response body.

        Returns:
            The chunks of the frames completed by `data`, in order; empty frames are skipped.
        """
        self._buffer.extend(data)
        chunks: list[LogChunk] = []
        while len(self._buffer) >= FRAME_HEADER.size:
            stream_id, size = FRAME_HEADER.unpack_from(self._buffer)
            end = FRAME_HEADER.size + size
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[FRAME_HEADER.size : end])
            del self._buffer[:end]
            stream = STREAM_NAMES.get(stream_id, "stdout")
            text = self._decoders[stream].decode(payload)
            if text:
                chunks.append(LogChunk(stream, text))
        return chunks

    def flush(self) -> list[LogChunk]:
        """End of stream: return what the decoders still hold (a trailing partial character).

        Bytes of an incomplete last frame are dropped.
        """
        chunks: list[LogChunk] = []
        for stream, decoder in self._decoders.items():
            text = decoder.decode(b"", final=True)
            if text:
                chunks.append(LogChunk(stream, text))
        return chunks

    @property
    def pending_bytes(self) -> int:
        """How many bytes wait for the rest of their frame."""
        return len(self._buffer)


class RawDecoder:
    """Decodes a TTY container's raw (unframed) output as stdout text."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> list[LogChunk]:
        """Decode the next bytes; returns at most one stdout chunk."""
        text = self._decoder.decode(data)
        return [LogChunk("stdout", text)] if text else []

    def flush(self) -> list[LogChunk]:
        """End of stream: return a trailing partial character, if any, as stdout."""
        text = self._decoder.decode(b"", final=True)
        return [LogChunk("stdout", text)] if text else []
