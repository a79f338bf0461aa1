"""Small files written by helper processes: the same tree, errors and tar-split as without."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import signal
import stat
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.tarsplit.rebuild import layer_tar_chunks
from tuibox.engine.layers.unpack import UnpackLimits, unpack_stream
from tuibox.engine.layers.writers.handoff import HAND_OFF_AFTER, WRITERS_PER_LAYER
from tuibox.engine.layers.writers.pool import WriterPool

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true", reason="owners and whiteouts need root"
)
MTIME = 1_700_000_000


@pytest.fixture
def pool() -> Iterator[WriterPool]:
    writers = WriterPool()
    try:
        yield writers
    finally:
        writers.close()
    assert writers.alive == 0


def _add(tar: tarfile.TarFile, name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"",
         **fields: object) -> None:  # fmt: skip
    info = tarfile.TarInfo(name)
    info.type, info.mtime = kind, MTIME
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    for key, value in fields.items():
        setattr(info, key, value)
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def _fresh(tar: tarfile.TarFile, directory: str) -> None:
    """Ten small new files: handed off, so in flight until the unpacker next waits."""
    for index in range(10):
        _add(tar, f"{directory}/n{index}", data=b"new %d" % index)


def busy_layer() -> bytes:
    """Enough small files for the hand-off, then every entry that must meet them in order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "many", tarfile.DIRTYPE)
        for index in range(HAND_OFF_AFTER + 300):
            _add(tar, f"many/d{index // 50}/f{index}", data=b"%d\n" % index * (index % 7))
        _add(tar, "shared", tarfile.DIRTYPE, mode=0o2775, gid=4321)
        for index in range(40):
            _add(tar, f"shared/g{index}", data=b"g", uid=0, gid=index % 2 * 4321)
        _add(tar, "owners/theirs", data=b"t", uid=1000, gid=1001, mode=0o600)
        _add(tar, "owners/setuid", data=b"s", uid=1000, gid=1000, mode=0o4755)
        _add(tar, "owners/xattr", data=b"x", pax_headers={"SCHILY.xattr.user.note": "kept"})
        # Each of these meets a file handed off since the last wait (the first
        # HAND_OFF_AFTER are written here; every conflict makes the unpacker wait).
        _add(tar, "many/d6/link", tarfile.LNKTYPE, linkname="many/d6/f320")
        _fresh(tar, "after-link")
        _add(tar, "after-link/n3", data=b"the same path again")
        _fresh(tar, "after-same")
        _add(tar, "after-same/.wh.n4", data=b"")
        _fresh(tar, "after-whiteout")
        _add(tar, "after-whiteout", data=b"a file where a directory of files in flight was")
        _add(tar, "many/d10/big", data=os.urandom(200_000))  # too big to hand off
        _add(tar, "many/d10/sym", tarfile.SYMTYPE, linkname="big")
        _add(tar, "late", tarfile.DIRTYPE, mode=0o700)
        for index in range(30):
            _add(tar, f"late/f{index}", data=b"late")
    return out.getvalue()


def unpack(tmp_path: Path, name: str, data: bytes, pool: WriterPool | None) -> Path:
    layer = tmp_path / name
    (layer / "diff").mkdir(parents=True)
    diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
    result = unpack_stream(io.BytesIO(data), layer / "diff", limits=UnpackLimits(),
                           split_dir=layer, writers=pool, expected_diff_id=diff_id)  # fmt: skip
    assert result.entries > HAND_OFF_AFTER
    return layer


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry below root: kind, mode, owner, mtime, content or target, link count."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            what: object = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            what = path.read_bytes()
        elif stat.S_ISCHR(info.st_mode):
            what = os.major(info.st_rdev), os.minor(info.st_rdev)
        else:
            what = None
        mtime: object = int(info.st_mtime)
        if mtime != MTIME:  # a directory made for an entry below it, a whiteout: now
            mtime = "now"
        found[str(path.relative_to(root))] = (
            stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid,
            mtime, what, info.st_nlink if not stat.S_ISDIR(info.st_mode) else 0,
        )  # fmt: skip
    return found


@needs_root
def test_a_layer_unpacks_the_same_with_helpers_and_rebuilds_byte_for_byte(
    tmp_path: Path, pool: WriterPool
) -> None:
    data = busy_layer()
    alone = unpack(tmp_path, "alone", data, None)
    helped = unpack(tmp_path, "helped", data, pool)
    assert pool.started >= 1, "the layer should have used a helper"
    assert tree(helped / "diff") == tree(alone / "diff")
    linked = helped / "diff/many/d6"
    assert (linked / "link").stat().st_ino == (linked / "f320").stat().st_ino
    assert (helped / "diff/after-link/n3").read_bytes() == b"the same path again"
    assert stat.S_ISCHR((helped / "diff/after-same/n4").lstat().st_mode)
    assert (helped / "diff/after-whiteout").read_bytes().startswith(b"a file")
    assert os.getxattr(helped / "diff/owners/xattr", "user.note") == b"kept"
    assert b"".join(layer_tar_chunks(helped)) == data


def test_a_file_under_a_file_in_flight_is_refused_as_it_is_here(
    tmp_path: Path, pool: WriterPool
) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for index in range(HAND_OFF_AFTER + 20):
            _add(tar, f"d/f{index}", data=b"x")
        _add(tar, f"d/f{HAND_OFF_AFTER + 10}/inner", data=b"under a path that is a file")
    messages = []
    for name, writers in (("alone", None), ("helped", pool)):
        layer = tmp_path / name
        (layer / "diff").mkdir(parents=True)
        with pytest.raises(InvalidArgument) as caught:
            unpack_stream(io.BytesIO(out.getvalue()), layer / "diff", expected_diff_id=None,
                          limits=UnpackLimits(), split_dir=layer, writers=writers)  # fmt: skip
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "is not a directory" in messages[0]


def test_a_small_layer_starts_no_helper(tmp_path: Path, pool: WriterPool) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for index in range(HAND_OFF_AFTER - 10):
            _add(tar, f"f{index}", data=b"x")
    layer = tmp_path / "small"
    (layer / "diff").mkdir(parents=True)
    unpack_stream(io.BytesIO(out.getvalue()), layer / "diff", expected_diff_id=None,
                  limits=UnpackLimits(), split_dir=layer, writers=pool)  # fmt: skip
    assert pool.started == 0


def test_a_file_the_helper_cannot_create_fails_the_layer_as_it_would_here(
    tmp_path: Path, pool: WriterPool
) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for index in range(HAND_OFF_AFTER + 20):
            _add(tar, f"d/f{index}", data=b"x")
        _add(tar, "d/" + "n" * 300, data=b"a name longer than ext4 and tmpfs allow")
        for index in range(20):
            _add(tar, f"d/after{index}", data=b"x")
    data = out.getvalue()
    for name, writers in (("alone", None), ("helped", pool)):
        layer = tmp_path / name
        (layer / "diff").mkdir(parents=True)
        with pytest.raises(OSError) as caught:
            unpack_stream(io.BytesIO(data), layer / "diff", expected_diff_id=None,
                          limits=UnpackLimits(), split_dir=layer, writers=writers)  # fmt: skip
        assert caught.value.errno == errno.ENAMETOOLONG, name
    assert pool.alive == WRITERS_PER_LAYER, "a helper that reported a failure is still good"


def test_a_helper_killed_mid_layer_fails_it_and_the_next_layer_gets_a_new_one(
    tmp_path: Path, pool: WriterPool
) -> None:
    class KillsTheHelper(io.BytesIO):
        """Reads the layer, and kills the helper (ours, by PID) half way through."""

        killed = False

        def read(self, size: int | None = -1) -> bytes:
            if not self.killed and self.tell() > len(self.getvalue()) // 2:
                self.killed = True
                pids = pool.busy_pids()
                assert pids, "no helper at work half way through"
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.1)
            return super().read(size)

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for index in range(HAND_OFF_AFTER * 8):
            _add(tar, f"d{index // 100}/f{index}", data=b"y" * 600)
    data = out.getvalue()
    layer = tmp_path / "killed"
    (layer / "diff").mkdir(parents=True)
    with pytest.raises(OSError, match="a file writer stopped"):
        unpack_stream(KillsTheHelper(data), layer / "diff", expected_diff_id=None,
                      limits=UnpackLimits(), split_dir=layer, writers=pool)  # fmt: skip
    assert pool.alive == 0, "the dead helper is not kept"
    again = tmp_path / "again"
    (again / "diff").mkdir(parents=True)
    unpack_stream(io.BytesIO(data), again / "diff", expected_diff_id=None,
                  limits=UnpackLimits(), split_dir=again, writers=pool)  # fmt: skip
    assert pool.started == 2 * WRITERS_PER_LAYER
    assert (again / "diff/d9/f999").read_bytes() == b"y" * 600


def test_idle_helpers_stop_after_their_minute(tmp_path: Path) -> None:
    pool = WriterPool(idle_seconds=0.2)
    try:
        helpers = pool.acquire(2)
        pids = [helper.process.pid for helper in helpers]
        pool.release(helpers, healthy=True)
        assert sorted(pool.idle_pids()) == sorted(pids)
        deadline = time.monotonic() + 5
        while (pool.alive or any(h.process.poll() is None for h in helpers)) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert pool.alive == 0
        for helper in helpers:
            assert helper.process.poll() is not None, "an idle helper outlived its minute"
    finally:
        pool.close()
