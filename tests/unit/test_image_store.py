"""Image records and the reference index survive a reopen and stay consistent."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tuibox.engine.domain.image import ImageRecord, chain_ids
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.store.images import INDEX_FILE, ImageStore

ID_A = "sha256:" + "a" * 64
ID_B = "sha256:" + "b" * 64
DIFF_1 = "sha256:" + "1" * 64
DIFF_2 = "sha256:" + "2" * 64


def record(image_id: str) -> ImageRecord:
    config = {"rootfs": {"type": "layers", "diff_ids": [DIFF_1, DIFF_2]}, "config": {"Cmd": ["sh"]}}
    return ImageRecord(id=image_id, config=config, size=10, created=5)


def test_save_tag_and_reopen(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    store.set_ref(parse_reference("busybox"), ID_A)
    store.set_ref(parse_reference(f"busybox@{ID_B}"), ID_A)
    reopened = ImageStore(tmp_path)
    loaded = reopened.get(ID_A)
    assert loaded is not None
    assert loaded.repo_tags == ("busybox:latest",)
    assert loaded.repo_digests == (f"busybox@{ID_B}",)
    assert loaded.container_config == {"Cmd": ["sh"]}
    assert reopened.lookup(parse_reference("docker.io/library/busybox:latest")) == ID_A


def test_moving_a_tag_leaves_the_old_image_dangling(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    store.save(record(ID_B))
    store.set_ref(parse_reference("app:1"), ID_A)
    previous = store.set_ref(parse_reference("app:1"), ID_B)
    assert previous == ID_A
    assert store.get(ID_A).repo_tags == ()  # type: ignore[union-attr]
    assert store.get(ID_B).repo_tags == ("app:1",)  # type: ignore[union-attr]


def test_delete_drops_the_record_and_its_refs(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    store.set_ref(parse_reference("app"), ID_A)
    store.delete(ID_A)
    assert store.get(ID_A) is None
    assert json.loads((tmp_path / INDEX_FILE).read_text()) == {"refs": {}}
    assert ImageStore(tmp_path).count() == 0


def test_prefix_lookup_and_remove_ref(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    store.save(record(ID_B))
    assert store.find_by_prefix("aaa") == [ID_A]
    store.set_ref(parse_reference("x"), ID_A)
    assert store.remove_ref(parse_reference("x"))
    assert not store.remove_ref(parse_reference("x"))


def test_corrupt_record_is_skipped_not_fatal(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    (tmp_path / ("b" * 64 + ".json")).write_text("{not json")
    assert ImageStore(tmp_path).ids() == [ID_A]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    store.set_ref(parse_reference("x"), ID_A)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_FILE, "a" * 64 + ".json"])


def test_chain_ids_follow_the_oci_formula() -> None:
    second = "sha256:" + hashlib.sha256(f"{DIFF_1} {DIFF_2}".encode()).hexdigest()
    assert chain_ids([DIFF_1, DIFF_2]) == [DIFF_1, second]
    assert record(ID_A).chain_ids == [DIFF_1, second]


def test_corrupt_reference_index_starts_empty(tmp_path: Path) -> None:
    store = ImageStore(tmp_path)
    store.save(record(ID_A))
    for broken in ({"refs": ["busybox"]}, ["x"], {"refs": {"Bad Ref": ID_A}}, {"refs": 5}):
        (tmp_path / INDEX_FILE).write_text(json.dumps(broken))
        reopened = ImageStore(tmp_path)
        assert reopened.exists(ID_A)
        assert reopened.refs_of(ID_A) == []
    (tmp_path / INDEX_FILE).write_text(json.dumps({"refs": {"busybox": ID_A}}))
    assert ImageStore(tmp_path).get(ID_A).repo_tags == ()  # type: ignore[union-attr]
    good = {"refs": {"docker.io/library/busybox:latest": ID_A}}
    (tmp_path / INDEX_FILE).write_text(json.dumps(good))
    assert ImageStore(tmp_path).get(ID_A).repo_tags == ("busybox:latest",)  # type: ignore[union-attr]


def test_stale_temporary_files_are_removed_at_open(tmp_path: Path) -> None:
    ImageStore(tmp_path).save(record(ID_A))
    stale = tmp_path / f".{ID_A[7:]}.json.abc123"
    stale.write_text("{")
    ImageStore(tmp_path)
    assert not stale.exists()
