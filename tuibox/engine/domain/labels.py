"""Docker's `label` filter: `key` matches any value, `key=value` that value only (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def label_matches(labels: Mapping[str, Any], wanted: str) -> bool:
    """Whether `labels` satisfy one `label=` filter value."""
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or str(labels[key]) == value)
