"""The engine widens httpcore's reads at start; should httpcore drop the setting, the engine
still starts and says so in its log, and this test fails (monkeypatch.setattr insists the
attribute exists), so an upgrade cannot lose the bench's 0.3 s unseen."""

from __future__ import annotations

import logging

import httpcore
import pytest

from tuibox.engine.registry.read_size import READ_SIZE, widen_reads


def test_reads_are_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpcore.AsyncHTTP11Connection, "READ_NUM_BYTES", 64 * 1024)
    assert widen_reads()
    assert httpcore.AsyncHTTP11Connection.READ_NUM_BYTES == READ_SIZE


def test_a_httpcore_without_the_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(httpcore.AsyncHTTP11Connection, "READ_NUM_BYTES")
    with caplog.at_level(logging.WARNING):
        assert not widen_reads()
    assert "READ_NUM_BYTES is gone" in caplog.text
