"""The engine widens httpcore's reads at start, and says so at once if httpcore drops the
setting (a silent loss of the bench's 0.3 s otherwise)."""

from __future__ import annotations

import httpcore
import pytest

from tuibox.engine.registry.read_size import READ_SIZE, widen_reads


def test_reads_are_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpcore.AsyncHTTP11Connection, "READ_NUM_BYTES", 64 * 1024)
    widen_reads()
    assert httpcore.AsyncHTTP11Connection.READ_NUM_BYTES == READ_SIZE


def test_a_httpcore_without_the_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(httpcore.AsyncHTTP11Connection, "READ_NUM_BYTES")
    with pytest.raises(RuntimeError, match="READ_NUM_BYTES is gone"):
        widen_reads()
