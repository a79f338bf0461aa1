"""Detach keys: Docker's syntax and the scanner that finds them across reads."""

from __future__ import annotations

import pytest

from tuibox.engine.domain.detach_keys import DEFAULT_DETACH_KEYS, DetachScanner, parse_detach_keys
from tuibox.engine.domain.errors import InvalidArgument


def test_the_syntax() -> None:
    assert parse_detach_keys("ctrl-p,ctrl-q") == DEFAULT_DETACH_KEYS == b"\x10\x11"
    assert parse_detach_keys("ctrl-x") == b"\x18"
    assert parse_detach_keys("a,ctrl-@,ctrl-[,ctrl-_,DEL") == b"a\x00\x1b\x1f\x7f"
    for bad in ("ctrl-1", "ctrl-pp", "", "ab", "ctrl-p,"):
        with pytest.raises(InvalidArgument, match="Invalid detach keys"):
            parse_detach_keys(bad)
    with pytest.raises(InvalidArgument, match="Invalid escape keys"):
        parse_detach_keys("x,", "escape")


def test_the_sequence_is_found_across_reads_and_never_passed_on() -> None:
    scanner = DetachScanner(b"\x10\x11")
    assert scanner.feed(b"ls\n\x10") == b"ls\n"  # the ctrl-p is held back
    assert not scanner.detached
    assert scanner.feed(b"\x11rest") == b""
    assert scanner.detached


def test_a_broken_match_passes_the_held_bytes_on() -> None:
    scanner = DetachScanner(b"\x10\x11")
    assert scanner.feed(b"\x10") == b""
    assert scanner.feed(b"x") == b"\x10x"
    assert scanner.feed(b"\x10\x10\x11") == b"\x10"
    assert scanner.detached
