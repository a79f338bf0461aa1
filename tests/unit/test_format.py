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
