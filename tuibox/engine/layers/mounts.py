"""Provides RootfsMounter, the seam for mounting container root filesystems, and its overlay one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from tuibox.engine.layers import overlay


class RootfsMounter(Protocol):
    """Mounts a container's layers as its root filesystem; unmounting twice is fine."""

    def mount(self, lower_dirs: list[Path], upper: Path, work: Path, target: Path) -> None:
        """Mount `lower_dirs` (topmost first) under the writable `upper` at `target`."""
        ...

    def unmount(self, target: Path) -> None:
        """Unmount `target`; nothing mounted there is success."""
        ...

    def is_mounted(self, target: Path) -> bool:
        """Whether something is mounted at `target`."""
        ...

    def make_bind_source(self, source: Path) -> None:
        """Create a missing host directory a `-v` bind names, as Docker does at start.

        Raises:
            OSError: it cannot be created.
        """
        ...


class OverlayMounter:
    """The real mounter: overlayfs through mount(2), as root."""

    def mount(self, lower_dirs: list[Path], upper: Path, work: Path, target: Path) -> None:
        overlay.mount_overlay(lower_dirs, upper, work, target)

    def unmount(self, target: Path) -> None:
        overlay.unmount(target)

    def is_mounted(self, target: Path) -> bool:
        return overlay.is_mounted(target)

    def make_bind_source(self, source: Path) -> None:
        if not os.path.lexists(source):
            source.mkdir(parents=True, mode=0o755)
