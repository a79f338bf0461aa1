"""Tests the pure display functions of tuibox.widgets.format."""

from __future__ import annotations

import pytest

from tuibox.widgets.format import (
    age,
    first_line,
    human_duration,
    human_size,
    image_reference,
    short_id,
    terminal_safe,
)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (13256, "13.3kB"),
        (4261550, "4.26MB"),
        (4270000, "4.27MB"),
        (1234567890, "1.23GB"),
        (77_800_000_000, "77.8GB"),
    ],
)
def test_human_size_uses_docker_decimal_units(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "Less than a second"),
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (59 * 60, "59 minutes"),
        (3600, "About an hour"),
        (3 * 3600, "3 hours"),
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_matches_go_units(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_age_is_relative_to_the_given_now() -> None:
    assert age(1_000_000, 1_000_120) == "2 minutes ago"
    assert age(0, 1_000_000) == "N/A"
    assert age(1_000_100, 1_000_000) == "Less than a second ago"


def test_short_id_strips_algorithm_and_keeps_12_hex() -> None:
    assert short_id("sha256:" + "0123456789abcdef" * 4) == "0123456789ab"
    assert short_id("fedcba9876543210" * 4) == "fedcba987654"


def test_image_reference_prefers_real_tag() -> None:
    assert image_reference(["<none>:<none>", "busybox:latest"]) == "busybox:latest"
    assert image_reference([]) == "<none>:<none>"


def test_first_line_skips_blank_lines() -> None:
    assert first_line("\n  crun not found: apt-get install crun\nsecond") == (
        "crun not found: apt-get install crun"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[H\x1b]52;c;SGVsbG8=\x07after the clear", "after the clear"),
        ("\x1b]0;new title\x1b\\text", "text"),
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bP+q544e\x1b\\dcs gone", "dcs gone"),
        ("\x1b[31mred\x1b[0m and \x1b[1;38;2;1;2;3mbold\x1b[m", "red and bold"),
        ("\x1b[?1049h\x1b[?25lalt screen", "alt screen"),
        ("\x9b2J8-bit CSI\x9d0;t\x9c", "8-bit CSI"),
        ("\x1bcreset \x1b7saved\x1b8", "reset saved"),
        ("bell\x07 nul\x00 bs\x08 del\x7f vt\x0b ff\x0c", "bell nul bs del vt ff"),
        ("col1\tcol2", "col1\tcol2"),
        ("unterminated \x1b]52;c;SGVsbG8=", "unterminated "),
        ("lone escape\x1b", "lone escape"),
        ("progress 10%\rprogress 90%\r", "progress 90%"),
        ("[bold]markup stays text[/] ünïcode ✓", "[bold]markup stays text[/] ünïcode ✓"),
        ("line\u2028separator", "line separator"),
    ],
)
def test_terminal_safe_drops_every_control_sequence(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown
    assert not any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) <= 0x9F for c in shown)
