"""write_tree (docker export's tar): the whole tree by directory fd, never through a symlink."""

from __future__ import annotations

import io
import os
import socket
import tarfile
from pathlib import Path

import pytest

from tuibox.engine.layers.tree_tar import write_tree

BIG = 64 * 1024
"""More than tarfile's stream buffer: writing this file reaches the sink mid-walk."""
SECRET = b"the host's secret\n"


class SwappingSink(io.BytesIO):
    """Collects the tar; on its first write (the walk is inside `victim`), `victim` is
    moved away and a symlink to `outside` put in its place, as a running container could."""

    def __init__(self, victim: Path, outside: Path) -> None:
        super().__init__()
        self.victim, self.outside = victim, outside
        self.swapped = False

    def write(self, data: bytes, /) -> int:  # type: ignore[override]
        if not self.swapped:
            self.swapped = True
            self.victim.rename(self.victim.with_name("moved"))
            self.victim.symlink_to(self.outside)
        return super().write(data)


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "secret").write_bytes(SECRET)
    return outside


def test_the_whole_tree_with_links_numeric_owners_and_no_root_entry(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(b"root:x:0:0::/:/bin/sh\n")
    os.link(root / "etc" / "passwd", root / "etc" / "passwd-")
    (root / "link").symlink_to("/etc/passwd")
    os.mkfifo(root / "fifo")
    os.chown(root / "etc" / "passwd", 1234, 5678)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "sock"))
        out = io.BytesIO()
        write_tree(out, root)
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"etc", "etc/passwd", "etc/passwd-", "link", "fifo"}
        assert members["etc"].isdir() and members["fifo"].isfifo()
        assert members["link"].issym() and members["link"].linkname == "/etc/passwd"
        assert members["etc/passwd-"].islnk() and members["etc/passwd-"].linkname == "etc/passwd"
        passwd = members["etc/passwd"]
        assert (passwd.uid, passwd.gid, passwd.uname, passwd.gname) == (1234, 5678, "", "")
        assert tar.extractfile(passwd).read() == b"root:x:0:0::/:/bin/sh\n"  # type: ignore[union-attr]


def test_a_directory_swapped_for_a_symlink_mid_walk_does_not_lead_outside(
    tmp_path: Path,
) -> None:
    root = tmp_path / "rootfs"
    (root / "var").mkdir(parents=True)
    (root / "var" / "a-big").write_bytes(b"\0" * BIG)
    (root / "var" / "secret").write_bytes(b"the container's own\n")
    sink = SwappingSink(root / "var", _outside(tmp_path))
    write_tree(sink, root)
    assert sink.swapped
    assert SECRET not in sink.getvalue()
    sink.seek(0)
    with tarfile.open(fileobj=sink) as tar:
        secret = tar.extractfile("var/secret")
        assert secret is not None and secret.read() == b"the container's own\n"


def test_a_directory_swapped_between_its_stat_and_its_open_fails_the_tar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "rootfs"
    (root / "var").mkdir(parents=True)
    (root / "var" / "secret").write_bytes(b"the container's own\n")
    outside = _outside(tmp_path)
    real_stat = os.stat

    def stat_then_swap(path: str, *args: object, **kwargs: object) -> os.stat_result:
        result = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if path == "var" and not (root / "var").is_symlink():
            (root / "var").rename(root / "moved")
            (root / "var").symlink_to(outside)
        return result

    out = io.BytesIO()
    with monkeypatch.context() as patch:
        patch.setattr(os, "stat", stat_then_swap)
        with pytest.raises(OSError):
            write_tree(out, root)
    assert (root / "var").is_symlink()
    assert SECRET not in out.getvalue()
