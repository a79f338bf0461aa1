"""FakeMounter: "mounts" a root filesystem by copying the lower dirs into the target."""

from __future__ import annotations

import shutil
from pathlib import Path

from tuibox.engine.domain.errors import RuntimeFailure


class FakeMounter:
    """A fake of the overlay mounter for tests without root.

    `mount` copies the layers bottom first into the target, so the container's files
    (its /etc/passwd, say) are there as an overlay would show them; `unmount` empties
    the target again. `fail_mount` makes the next mounts fail with that text.
    """

    def __init__(self) -> None:
        self.mounted: set[Path] = set()
        self.mounts = 0
        self.fail_mount: str | None = None
        self.bind_sources: list[Path] = []

    def mount(self, lower_dirs: list[Path], upper: Path, work: Path, target: Path) -> None:
        if self.fail_mount is not None:
            raise RuntimeFailure(f"cannot mount overlay at {target}: {self.fail_mount}")
        for lower in reversed(lower_dirs):
            shutil.copytree(lower, target, symlinks=True, dirs_exist_ok=True)
        self.mounted.add(target)
        self.mounts += 1

    def unmount(self, target: Path) -> None:
        if target not in self.mounted:
            return
        self.mounted.discard(target)
        for child in target.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()

    def is_mounted(self, target: Path) -> bool:
        return target in self.mounted

    def make_bind_source(self, source: Path) -> None:
        """Recorded, never made: a test (or the fuzz) must not create host directories."""
        self.bind_sources.append(source)
