"""Safe layer unpacking: tarfile parses headers, every file operation is done here by fd.

A layer is refused whole (InvalidArgument naming the entry) when any entry would land
outside it: absolute names, ".." components, a path through a symlink, hard links that
escape, device nodes; sparse files and oversized headers are refused too. Symlink targets
are stored as they are (nothing is followed here; the runtime resolves them in the
container's root). OCI whiteouts become overlayfs whiteouts (char 0:0 nodes) and opaque
directories (trusted.overlay.opaque=y). The uncompressed stream is hashed on the way and
must equal the expected diff ID. tarfile serves only as a header parser: its extraction
filters strip the setuid bits and device nodes container layers need, know nothing of
whiteouts, and have had repeated escapes (CVE-2024-12718, CVE-2025-4517 among them).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import posixpath
import stat
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.layers.rooted import RootedDir, clear_for, lstat_at, write_all
from tuibox.engine.layers.tar_stream import HashingReader, open_decompressed, open_tar_stream
from tuibox.engine.layers.tarsplit.reader import SMALL_PAYLOAD, TarReader
from tuibox.engine.layers.tarsplit.record import SplitWriter
from tuibox.engine.layers.writers.handoff import HandOff
from tuibox.engine.layers.writers.pool import WriterPool

WHITEOUT_PREFIX = ".wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
_XATTR_PAX_PREFIX = "SCHILY.xattr."
_FORBIDDEN_XATTR_PREFIXES = ("trusted.overlay.", "user.overlay.")
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_SPECIAL_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX
MAX_ID = 2**32 - 2
"""The largest uid/gid (2**32 - 1 is the kernel's "no id")."""


@dataclass(frozen=True)
class UnpackLimits:
    """Caps against tar and decompression bombs."""

    max_bytes: int = 16 * 1024**3
    max_entries: int = 1_000_000
    max_path_length: int = 4096


@dataclass(frozen=True)
class UnpackRules:
    """How entries land: as an image layer (the default) or as `docker cp` extracts them."""

    whiteouts: bool = True
    """OCI whiteouts become overlay whiteouts; off, a `.wh.` name is an ordinary file."""
    replace_dirs: bool = True
    """A directory may replace a non-directory and back; off, that is refused (dockerd's
    noOverwriteDirNonDir)."""
    owner: tuple[int, int] | None = None
    """Every entry owned by this uid:gid instead of the tar's (dockerd's copyUIDGID)."""


@dataclass(frozen=True)
class UnpackResult:
    """What unpacking measured: the diff ID and the bytes of file content written."""

    diff_id: str
    size: int
    entries: int


@dataclass
class _Walk:
    """Mutable state of one unpack."""

    root: RootedDir
    tar: TarReader
    limits: UnpackLimits
    rules: UnpackRules = field(default_factory=UnpackRules)
    split: SplitWriter | None = None
    as_root: bool = field(default_factory=lambda: os.geteuid() == 0)
    size: int = 0
    entries: int = 0
    dir_times: list[tuple[list[str], int]] = field(default_factory=list)
    parent: tuple[tuple[str, ...], int] | None = None
    """The last parent directory opened, kept for the next entry in the same directory."""
    new_file_owner: tuple[int, int] | None = None
    """Who owns a file just created in the kept parent (learned from the first one: the
    group may be the directory's), so a file the tar gives that owner needs no chown."""
    umask: int = field(default_factory=lambda: _process_umask())
    hand_off: HandOff = field(default_factory=lambda: HandOff(None))
    """Small new files given to helper processes, once the layer shows many (writers/)."""
    seen: set[str] = field(default_factory=set)
    """Every path an entry or a parent directory has used: a path not in it is free, so a
    file there can go to a helper, which creates it with O_EXCL."""

    def parent_fd(self, parts: list[str], entry: str) -> int:
        """The directory fd of `parts` (created as needed); owned by the walk: not closed
        by the caller."""
        key = tuple(parts)
        if self.parent is not None and self.parent[0] == key:
            return self.parent[1]
        self.forget_parent()
        paths = ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
        self.hand_off.new_parent(paths)
        fd = self.root.open_dir(parts, create=True, entry=entry)
        self.seen.update(paths)
        self.parent = (key, fd)
        self.new_file_owner = None
        return fd

    def sync_writers(self) -> None:
        """Every file handed to a helper is on disk (before anything could meet one)."""
        self.hand_off.sync()

    def forget_parent(self, below: list[str] | None = None) -> None:
        """Close the kept directory fd (all, or only when it lies at or below `below`:
        that path is about to be removed or replaced, so the fd would be stale)."""
        if self.parent is None:
            return
        if below is not None and tuple(below) != self.parent[0][: len(below)]:
            return
        os.close(self.parent[1])
        self.parent = None


def unpack_layer(
    blob: Path,
    dest: Path,
    *,
    expected_diff_id: str | None = None,
    limits: UnpackLimits | None = None,
    split_dir: Path | None = None,
) -> UnpackResult:
    """Unpack a gzip or plain tar layer into the empty directory `dest`.

    Args:
        blob: the layer file as downloaded (compressed or not).
        dest: an empty directory; on error it holds a partial tree the caller discards.
        expected_diff_id: the config's rootfs.diff_ids entry; checked after the stream ends.
        limits: caps on total uncompressed bytes, entry count and path length.
        split_dir: where to write the layer's tar-split file (record.py), if anywhere.

    Returns:
        The diff ID, the bytes of regular file content and the number of entries.

    Raises:
        InvalidArgument: an unsafe or unsupported entry, a bomb, a corrupt stream or a
            diff ID mismatch.
    """
    limits = limits or UnpackLimits()
    with blob.open("rb") as raw:
        return unpack_stream(open_decompressed(raw), dest, expected_diff_id=expected_diff_id,
                             limits=limits, split_dir=split_dir)  # fmt: skip


def unpack_stream(
    source: BinaryIO,
    dest: Path,
    *,
    expected_diff_id: str | None,
    limits: UnpackLimits,
    split_dir: Path | None = None,
    writers: WriterPool | None = None,
) -> UnpackResult:
    """unpack_layer on an uncompressed tar stream (read to its end), e.g. one that is
    still being downloaded and decompressed; with `writers`, a layer of many small files
    has them created by helper processes while this thread reads on.

    Raises:
        InvalidArgument: as unpack_layer.
    """
    reader = HashingReader(source, limits.max_bytes)
    split = SplitWriter(split_dir) if split_dir is not None else None
    try:
        with RootedDir(str(dest)) as root:
            result = _walk_tar(reader, root, limits, UnpackRules(), split, writers)
        reader.drain()
        diff_id = "sha256:" + reader.hash.hexdigest()
        if expected_diff_id is not None and diff_id != expected_diff_id:
            raise InvalidArgument(
                f"wrong diff id: layer unpacks to {diff_id}, the image config says "
                f"{expected_diff_id}"
            )
        if split is not None:
            split.close()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InvalidArgument(f"layer is not a valid tar stream: {err}") from None
    finally:
        if split is not None:
            split.abandon()
    return UnpackResult(diff_id=diff_id, size=result.size, entries=result.entries)


def extract_tar(
    archive: Path, dest_fd: int, *, limits: UnpackLimits, rules: UnpackRules
) -> UnpackResult:
    """Extract a (possibly gzipped) tar into the open directory `dest_fd`, by the same
    rules as a layer: nothing lands outside it, device nodes and sparse files are refused.

    Raises:
        InvalidArgument: an unsafe or unsupported entry, a bomb or a corrupt stream; the
            entries before it stay extracted (run `check_tar` first to refuse it whole).
    """
    with archive.open("rb") as raw:
        reader = HashingReader(open_decompressed(raw), limits.max_bytes)
        try:
            with RootedDir.adopt(dest_fd) as root:
                result = _walk_tar(reader, root, limits, rules)
            reader.drain()
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise InvalidArgument(f"not a valid tar stream: {err}") from None
    return UnpackResult("sha256:" + reader.hash.hexdigest(), result.size, result.entries)


def check_tar(
    archive: Path, *, limits: UnpackLimits, rules: UnpackRules,
    visit: Callable[[list[str]], None] | None = None,
) -> int:  # fmt: skip
    """Read every header of a tar without writing anything; returns the entry count.

    Refuses what `extract_tar` would refuse for the entry alone (absolute names, "..",
    device nodes, hard links out, sparse files, bombs); `visit` sees each entry's
    components and may raise too. What depends on the files already there (a path
    through a symlink) is only found while extracting.

    Raises:
        InvalidArgument: the first entry refused, or a corrupt stream.
    """
    with archive.open("rb") as raw:
        reader = HashingReader(open_decompressed(raw), limits.max_bytes)
        try:
            with open_tar_stream(reader) as tar:
                entries = size = 0
                for member in tar:
                    entries += 1
                    if entries > limits.max_entries:
                        raise InvalidArgument(f"refused: more than {limits.max_entries} entries")
                    size += member.size if member.isreg() else 0
                    if size > limits.max_bytes:
                        raise InvalidArgument(f"refused: more than {limits.max_bytes} bytes")
                    parts = _check_member(member, limits, rules)
                    if visit is not None and parts:
                        visit(parts)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise InvalidArgument(f"not a valid tar stream: {err}") from None
    return entries


def _check_member(member: tarfile.TarInfo, limits: UnpackLimits, rules: UnpackRules) -> list[str]:
    """The entry's components once the checks that need no files have passed."""
    parts = entry_parts(member.name, limits)
    if not parts:
        return parts
    if rules.whiteouts and parts[-1].startswith(WHITEOUT_PREFIX):
        return parts
    if member.ischr() or member.isblk():
        raise InvalidArgument(f"layer entry {member.name!r} refused: device nodes are not allowed")
    if member.issparse():
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: sparse files are not supported"
        )
    if member.issym():
        _check_symlink(member)
    elif member.islnk():
        _hardlink_parts(member)
    elif not (member.isdir() or member.isreg() or member.isfifo()):
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: unsupported tar entry type {member.type!r}"
        )
    return parts


def _walk_tar(
    reader: HashingReader, root: RootedDir, limits: UnpackLimits, rules: UnpackRules,
    split: SplitWriter | None = None, writers: WriterPool | None = None,
) -> _Walk:  # fmt: skip
    tar = TarReader(reader, split)  # type: ignore[arg-type]
    walk = _Walk(root=root, tar=tar, limits=limits, rules=rules, split=split,
                 hand_off=HandOff(writers))  # fmt: skip
    failed = True
    try:
        while (member := tar.next()) is not None:
            walk.entries += 1
            if walk.entries > limits.max_entries:
                raise InvalidArgument(f"layer refused: more than {limits.max_entries} entries")
            _apply_member(walk, member)
            if tar.pending:
                tar.skip_payload()  # a whiteout's or a refused kind's data: kept raw
        tar.finish()
        walk.sync_writers()
        failed = False
    finally:
        walk.forget_parent()
        walk.hand_off.close(failed=failed)
    _restore_dir_times(walk)
    return walk


def entry_parts(name: str, limits: UnpackLimits | None = None) -> list[str]:
    """Split a tar entry name into safe components; "./" prefixes are fine.

    Raises:
        InvalidArgument: an absolute name, a ".." component or an overlong name.
    """
    if limits is not None and len(name) > limits.max_path_length:
        raise InvalidArgument(f"layer entry {name[:80]!r}... refused: the name is too long")
    if name.startswith("/"):
        raise InvalidArgument(f"layer entry {name!r} refused: absolute paths are not allowed")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArgument(f"layer entry {name!r} refused: '..' would leave the layer")
    return parts


def _apply_member(walk: _Walk, member: tarfile.TarInfo) -> None:
    parts = entry_parts(member.name, walk.limits)
    if not parts:
        return
    path = "/".join(parts)
    fresh = path not in walk.seen
    if not fresh:
        walk.sync_writers()  # the path again: its first file may still be in flight
    walk.seen.add(path)
    if walk.rules.whiteouts and parts[-1].startswith(WHITEOUT_PREFIX):
        _apply_whiteout(walk, member, parts)
        return
    if member.ischr() or member.isblk():
        raise InvalidArgument(f"layer entry {member.name!r} refused: device nodes are not allowed")
    if not member.isdir():
        walk.forget_parent(below=parts)  # the entry may replace a directory the fd is in
    parent_fd = walk.parent_fd(parts[:-1], member.name)
    name = parts[-1]
    if not walk.rules.replace_dirs:
        _check_kind_kept(parent_fd, name, member)
    if member.isdir():
        _make_dir(walk, parent_fd, name, member, parts)
    elif member.isreg():
        _check_file_size(walk, member)
        _make_file(walk, parent_fd, name, member, parts, fresh=fresh)
    elif member.issym():
        _check_symlink(member)
        _clear(walk, parent_fd, parts, keep_dir=False)
        _make_symlink(walk, parent_fd, name, member)
    elif member.islnk():
        _make_hardlink(walk, parent_fd, name, member, parts)
    elif member.isfifo():
        _clear(walk, parent_fd, parts, keep_dir=False)
        os.mkfifo(name, 0o600, dir_fd=parent_fd)
        _set_owner_mode_at(walk, parent_fd, name, member)
    else:
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: unsupported tar entry type {member.type!r}"
        )


def _clear(walk: _Walk, parent_fd: int, parts: list[str], *, keep_dir: bool) -> None:
    """clear_for, first moving aside the files recorded in the tar-split (see record.py)
    that the removal would take, so the stream can still be rebuilt."""
    walk.sync_writers()  # what is removed, or a hard link's target, may be in flight
    if walk.split is not None:
        existing = lstat_at(parent_fd, parts[-1])
        if existing is not None and not (keep_dir and stat.S_ISDIR(existing.st_mode)):
            _rescue_recorded(walk, "/".join(parts))
    clear_for(parent_fd, parts[-1], keep_dir=keep_dir)


def _rescue_recorded(walk: _Walk, path: str) -> None:
    assert walk.split is not None
    for recorded in walk.split.recorded_under(path):
        recorded_parts = recorded.split("/")
        parent = walk.root.open_dir(recorded_parts[:-1], create=False, entry=recorded)
        try:
            orphan = walk.split.orphan_path()
            os.rename(recorded_parts[-1], orphan, src_dir_fd=parent)
        finally:
            os.close(parent)
        walk.split.moved(recorded, orphan)


def _check_kind_kept(parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
    """dockerd's noOverwriteDirNonDir: a directory stays one, a non-directory too."""
    existing = lstat_at(parent_fd, name)
    if existing is None:
        return
    if stat.S_ISDIR(existing.st_mode) and not member.isdir():
        raise InvalidArgument(
            f"cannot overwrite directory {member.name!r} with non-directory {member.name!r}"
        )
    if not stat.S_ISDIR(existing.st_mode) and member.isdir():
        raise InvalidArgument(
            f"cannot overwrite non-directory {member.name!r} with directory {member.name!r}"
        )


def _apply_whiteout(walk: _Walk, member: tarfile.TarInfo, parts: list[str]) -> None:
    name = parts[-1]
    hidden = name[len(WHITEOUT_PREFIX) :]
    if name != OPAQUE_WHITEOUT and not name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
        if hidden in ("", ".", ".."):
            raise InvalidArgument(f"layer entry {member.name!r} refused: invalid whiteout name")
        walk.forget_parent(below=[*parts[:-1], hidden])
    parent_fd = walk.parent_fd(parts[:-1], member.name)
    if name == OPAQUE_WHITEOUT:
        os.setxattr(parent_fd, OPAQUE_XATTR, b"y")
        return
    if name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
        return  # aufs metadata (.wh..wh.plnk and friends): never materialised
    _clear(walk, parent_fd, [*parts[:-1], hidden], keep_dir=False)
    os.mknod(hidden, stat.S_IFCHR, os.makedev(0, 0), dir_fd=parent_fd)


def _make_dir(
    walk: _Walk, parent_fd: int, name: str, member: tarfile.TarInfo, parts: list[str]
) -> None:
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
    except FileExistsError:
        _clear(walk, parent_fd, parts, keep_dir=True)  # a directory over a file replaces it
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent_fd)
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    try:
        _set_attributes(walk, fd, member, set_time=False)
    finally:
        os.close(fd)
    walk.dir_times.append((parts, int(member.mtime)))


def _make_file(
    walk: _Walk, parent_fd: int, name: str, member: tarfile.TarInfo, parts: list[str], *,
    fresh: bool = False,
) -> None:  # fmt: skip
    """The file, made with as few calls as its attributes allow: created with its mode
    when the umask keeps it whole and it has no setuid, setgid or sticky bit, and chowned
    only when the tar names another owner than a new file gets. A small one at a free
    path may go to a helper, which makes it by the same rules."""
    mode = stat.S_IMODE(member.mode)
    created_mode = mode if not mode & (_SPECIAL_BITS | walk.umask) else 0o600
    if fresh and not _has_xattrs(member) and walk.hand_off.ready(member.size):
        path = "/".join(parts)
        data = walk.tar.small_payload(path) if walk.tar.pending else b""
        owner = _owner(walk, member) if walk.as_root else None
        mtime_ns = _mtime_ns(member)
        walk.hand_off.file(parent_fd, path, name, created_mode, owner, mode, mtime_ns, data)
        return
    try:  # most entries are new: try before looking
        fd = os.open(name, _FILE_FLAGS, created_mode, dir_fd=parent_fd)
    except FileExistsError:
        _clear(walk, parent_fd, parts, keep_dir=False)
        fd = os.open(name, _FILE_FLAGS, created_mode, dir_fd=parent_fd)
    try:
        if walk.tar.pending:
            if member.size <= SMALL_PAYLOAD:
                write_all(fd, walk.tar.small_payload("/".join(parts)))
            else:
                for chunk in walk.tar.payload("/".join(parts)):
                    write_all(fd, chunk)
        chowned = False
        if walk.as_root:
            owner = _owner(walk, member)
            if walk.new_file_owner is None and walk.parent is not None:
                made = os.fstat(fd)
                walk.new_file_owner = (made.st_uid, made.st_gid)
            if owner != walk.new_file_owner:
                os.fchown(fd, *owner)
                chowned = True
        if created_mode != mode or chowned:
            os.fchmod(fd, mode)  # after chown: chown clears setuid
        _set_xattrs(fd, member)
        mtime_ns = _mtime_ns(member)
        os.utime(fd, ns=(mtime_ns, mtime_ns))
    finally:
        os.close(fd)


def _mtime_ns(member: tarfile.TarInfo) -> int:
    return int(member.mtime) * 1_000_000_000


def _has_xattrs(member: tarfile.TarInfo) -> bool:
    return any(key.startswith(_XATTR_PAX_PREFIX) for key in member.pax_headers)


def _check_file_size(walk: _Walk, member: tarfile.TarInfo) -> None:
    """Refuse sparse files and count a file's size against the cap before writing it."""
    if member.issparse():
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: sparse files are not supported"
        )
    walk.size += member.size
    if walk.size > walk.limits.max_bytes:
        raise InvalidArgument(
            f"layer refused: it unpacks to more than {walk.limits.max_bytes} bytes"
        )


def _check_symlink(member: tarfile.TarInfo) -> None:
    """Any target is stored as it is (as moby does): nothing is followed while unpacking."""
    target = member.linkname
    if not target or "\x00" in target:
        raise InvalidArgument(f"layer entry {member.name!r} refused: empty symlink target")


def _make_symlink(walk: _Walk, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
    os.symlink(member.linkname, name, dir_fd=parent_fd)
    if walk.as_root:
        os.chown(name, *_owner(walk, member), dir_fd=parent_fd, follow_symlinks=False)
    mtime_ns = _mtime_ns(member)
    os.utime(name, ns=(mtime_ns, mtime_ns), dir_fd=parent_fd, follow_symlinks=False)


def _hardlink_parts(member: tarfile.TarInfo) -> list[str]:
    target = posixpath.normpath(member.linkname.lstrip("/")) if member.linkname else ""
    if not target or target == "." or target == ".." or target.startswith("../"):
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: hard link target {member.linkname!r} "
            "escapes the layer"
        )
    return entry_parts(target)


def _make_hardlink(
    walk: _Walk, parent_fd: int, name: str, member: tarfile.TarInfo, parts: list[str]
) -> None:
    target_parts = _hardlink_parts(member)
    source_fd = walk.root.open_dir(target_parts[:-1], create=False, entry=member.name)
    try:
        _clear(walk, parent_fd, parts, keep_dir=False)
        os.link(
            target_parts[-1], name, src_dir_fd=source_fd, dst_dir_fd=parent_fd,
            follow_symlinks=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise InvalidArgument(
            f"layer entry {member.name!r} refused: hard link target {member.linkname!r} "
            "is not an earlier entry of the layer"
        ) from None
    finally:
        os.close(source_fd)


def _set_attributes(walk: _Walk, fd: int, member: tarfile.TarInfo, *, set_time: bool) -> None:
    if walk.as_root:
        os.fchown(fd, *_owner(walk, member))
    os.fchmod(fd, stat.S_IMODE(member.mode))  # after chown: chown clears setuid
    _set_xattrs(fd, member)
    if set_time:
        mtime_ns = _mtime_ns(member)
        os.utime(fd, ns=(mtime_ns, mtime_ns))


def _set_xattrs(fd: int, member: tarfile.TarInfo) -> None:
    for key, value in member.pax_headers.items():
        if not key.startswith(_XATTR_PAX_PREFIX):
            continue
        xattr = key[len(_XATTR_PAX_PREFIX) :]
        if xattr.startswith(_FORBIDDEN_XATTR_PREFIXES):
            continue
        with contextlib.suppress(OSError):  # best effort, as moby: EPERM/ENOTSUP are fine
            os.setxattr(fd, xattr, value.encode("utf-8", "surrogateescape"))


def _set_owner_mode_at(walk: _Walk, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
    if walk.as_root:
        os.chown(name, *_owner(walk, member), dir_fd=parent_fd, follow_symlinks=False)
    os.chmod(name, stat.S_IMODE(member.mode), dir_fd=parent_fd)


def _owner(walk: _Walk, member: tarfile.TarInfo) -> tuple[int, int]:
    """The entry's owner; an id the kernel cannot hold is refused (CVE-2024-40635 wrapped
    a large uid to root)."""
    if walk.rules.owner:
        return walk.rules.owner
    for kind, value in (("uid", member.uid), ("gid", member.gid)):
        if not 0 <= value <= MAX_ID:
            raise InvalidArgument(
                f"layer entry {member.name!r} refused: {kind} {value} is out of range"
            )
    return member.uid, member.gid


def _process_umask() -> int:
    """The umask, read without changing it (os.umask would, for every thread); all bits
    when it cannot be read, so every file is chmodded."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o777


def _restore_dir_times(walk: _Walk) -> None:
    """Set directory mtimes last; a directory a later entry removed or replaced is skipped."""
    for parts, mtime in reversed(walk.dir_times):
        try:
            fd = walk.root.open_dir(parts, create=False, entry="/".join(parts))
        except InvalidArgument:
            continue  # gone, or now a symlink or file
        try:
            os.utime(fd, ns=(mtime * 1_000_000_000, mtime * 1_000_000_000))
        finally:
            os.close(fd)
