"""Marks shared by the engine tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuibox.demo.registry import REGISTRY_BINARY

NEEDS_REGISTRY = [
    pytest.mark.registry,
    pytest.mark.skipif(
        not os.environ.get("CI")
        and not (REGISTRY_BINARY.exists() and Path("/bin/busybox").exists()),
        reason="needs docker-registry and busybox-static (scripts/install-deps.sh installs them)",
    ),
]
"""A real docker-registry on loopback and busybox to push; never skipped under CI."""
