"""The /etc files the engine writes for a container, on the fakes: Docker's 0644, atomically."""

from __future__ import annotations

import stat

from tests.services.conftest import Engine


async def test_the_etc_files_are_0644_and_stay_so_when_rewritten(engine: Engine) -> None:
    cid = await engine.run("sleep", "300")
    paths = engine.context.paths(cid)
    files = (paths.hostname_file, paths.hosts_file, paths.resolv_file)
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644] * 3
    inodes = [f.stat().st_ino for f in files]
    await engine.services.containers.lifecycle.stop(cid, 0, None)
    await engine.services.containers.lifecycle.start(cid)
    await engine.settle()
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644] * 3
    # each replaced by a rename of a finished file, none left half-written
    assert all(f.stat().st_ino != inode for f, inode in zip(files, inodes, strict=True))
    assert [p.name for p in paths.hosts_file.parent.iterdir() if p.name.startswith(".")] == []
