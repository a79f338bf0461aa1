"""The pull benchmark's image: about 150 MB in five gzip layers (a busybox base, three of
random bytes, one of many small files), built reproducibly from a seed and pushed as-is."""

from __future__ import annotations

import concurrent.futures
import gzip
import io
import json
import random
import tarfile

from tuibox.demo.images import (
    BUSYBOX_PATH,
    Blob,
    BuiltImage,
    busybox_entries,
    list_applets,
    read_static_busybox,
)
from tuibox.demo.layer import build_tar, sha256_digest
from tuibox.engine.domain.platform import go_arch

LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
RANDOM_LAYER_MB = (48, 36, 24)
SMALL_FILES = 24_000
SMALL_FILE_BYTES = (200, 3000)
MTIME = 1_700_000_000


def _random_layer(seed: int, megabytes: int) -> bytes:
    """A tar of random files of 1 to 8 MB, `megabytes` in all."""
    rng = random.Random(seed)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        left, index = megabytes << 20, 0
        _add_dir(tar, f"data{seed}")
        while left > 0:
            size = min(left, rng.randint(1, 8) << 20)
            _add_file(tar, f"data{seed}/blob{index:03}.bin", rng.randbytes(size))
            left, index = left - size, index + 1
    return out.getvalue()


def _small_files_layer(seed: int) -> bytes:
    """A tar of many small, compressible files in a few hundred directories."""
    rng = random.Random(seed)
    words = [rng.randbytes(6).hex() for _ in range(2000)]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_dir(tar, "usr")
        _add_dir(tar, "usr/share")
        for index in range(SMALL_FILES):
            directory = f"usr/share/pkg{index // 100:03}"
            if index % 100 == 0:
                _add_dir(tar, directory)
            size = rng.randint(*SMALL_FILE_BYTES)
            text = " ".join(rng.choices(words, k=size // 12 + 1)).encode()[:size]
            _add_file(tar, f"{directory}/file{index:05}.txt", text)
    return out.getvalue()


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, MTIME
    tar.addfile(info, io.BytesIO(data))


def _gzip(plain: bytes) -> bytes:
    return gzip.compress(plain, compresslevel=6, mtime=0)


def build_pull_image(name: str = "bench/pull", tag: str = "latest") -> BuiltImage:
    """Build the image (about 10 s on two cores: gzip runs in threads, one per layer)."""
    binary = read_static_busybox(BUSYBOX_PATH)
    plains = [build_tar(busybox_entries(binary, list_applets(BUSYBOX_PATH)))]
    plains += [_random_layer(seed, mb) for seed, mb in enumerate(RANDOM_LAYER_MB, start=1)]
    plains.append(_small_files_layer(99))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        compressed = list(pool.map(_gzip, plains))
    diff_ids = tuple(sha256_digest(plain) for plain in plains)
    layers = tuple(Blob(LAYER_MEDIA_TYPE, data) for data in compressed)
    config_doc = {
        "architecture": go_arch(), "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"bench layer {i}"}
                    for i in range(len(layers))],
    }  # fmt: skip
    config = Blob(CONFIG_MEDIA_TYPE, json.dumps(config_doc).encode())
    manifest_doc = {
        "schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": config.media_type, "size": config.size, "digest": config.digest},
        "layers": [{"mediaType": b.media_type, "size": b.size, "digest": b.digest}
                   for b in layers],
    }  # fmt: skip
    manifest = Blob(MANIFEST_MEDIA_TYPE, json.dumps(manifest_doc).encode())
    return BuiltImage(name, tag, layers, diff_ids, config, manifest)


def unpacked_bytes(image: BuiltImage) -> int:
    """The sum of the file sizes in the image's layers (what the tars carry)."""
    total = 0
    for blob in image.layers:
        with tarfile.open(fileobj=io.BytesIO(blob.data), mode="r:gz") as tar:
            total += sum(member.size for member in tar if member.isfile())
    return total
