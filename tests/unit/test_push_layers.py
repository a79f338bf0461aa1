"""Which pulled blobs a push may reuse for a layer: gzip ones only, by the media type the
manifest gave (a schema2 manifest can name no zstd or uncompressed layer)."""

from __future__ import annotations

from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.reference import Reference, parse_reference
from tuibox.engine.services.images.push_layers import PUSHED_LAYERS, KnownBlobs

DIFF_IDS = ["sha256:" + "1" * 64, "sha256:" + "2" * 64]
BLOBS = ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


def record(media_types: tuple[str, ...], blobs: tuple[str, ...] = BLOBS,
           extra: dict[str, object] | None = None) -> ImageRecord:  # fmt: skip
    return ImageRecord(id="sha256:" + "c" * 64, config={"rootfs": {"diff_ids": DIFF_IDS}},
                       layer_digests=blobs, layer_media_types=media_types,
                       extra=extra or {})  # fmt: skip


def known(*records: ImageRecord) -> dict[str, list[str]]:
    refs: dict[str, list[Reference]] = {r.id: [parse_reference("reg.example/team/app@sha256:"
                                                               + "d" * 64)] for r in records}
    return KnownBlobs.of(list(records), lambda image_id: refs[image_id]).blobs


def test_gzip_layers_are_known_and_zstd_ones_are_not() -> None:
    assert known(record((GZIP, ZSTD))) == {DIFF_IDS[0]: [BLOBS[0]]}


def test_a_record_from_before_media_types_counts_compressed_blobs_as_gzip() -> None:
    uncompressed_second = (BLOBS[0], DIFF_IDS[1])
    assert known(record((), uncompressed_second)) == {DIFF_IDS[0]: [BLOBS[0]]}


def test_blobs_this_engine_pushed_are_known_whatever_was_pulled() -> None:
    pushed = ["sha256:" + "e" * 64, "sha256:" + "f" * 64]
    found = known(record((ZSTD, ZSTD), extra={PUSHED_LAYERS: pushed}))
    assert found == {DIFF_IDS[0]: [pushed[0]], DIFF_IDS[1]: [pushed[1]]}
