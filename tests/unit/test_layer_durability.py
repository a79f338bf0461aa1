"""Pulled layers are synced once after the pull; a crash before that is caught at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.layers.store import UNSYNCED_MARK
from tuibox.engine.services.images.service import ImageService

MIRROR = "http://mirror:5000"
IMAGE = build_image([{"bin/tool": b"tool" * 1000}, {"etc/conf": b"setting=1\n" * 50}])


@pytest.fixture
async def images(tmp_path: Path) -> AsyncIterator[ImageService]:
    registry = FakeRegistry()
    registry.add("library/app", "latest", IMAGE)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    service = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    yield service
    await service.aclose()


def marked(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data/layers").glob(f"*/{UNSYNCED_MARK}"))


async def pull(images: ImageService) -> list[str]:
    return [m["status"] async for m in images.pull("app", None, None)]


async def test_a_pull_marks_its_layers_until_the_sync_after_it(
    images: ImageService, tmp_path: Path
) -> None:
    await pull(images)
    await images.durability.settled()
    assert marked(tmp_path) == []
    assert len(list((tmp_path / "data/layers").iterdir())) == 2


async def test_after_a_crash_a_cut_layer_is_removed_and_an_intact_one_kept(
    images: ImageService, tmp_path: Path
) -> None:
    await pull(images)
    await images.durability.settled()
    layers = tmp_path / "data/layers"
    for layer in layers.iterdir():  # as a crash before the sync leaves them
        (layer / UNSYNCED_MARK).touch()
    (cut,) = layers.glob("*/diff/etc/conf")
    cut.write_bytes(b"")  # the file's data never reached the disk
    cut_layer = cut.parents[2].name
    await images.collect_garbage()  # what the engine runs at start
    assert marked(tmp_path) == []
    assert not (layers / cut_layer).exists()
    assert len(list(layers.iterdir())) == 1
    assert (next(layers.glob("*/diff/bin/tool"))).read_bytes() == b"tool" * 1000
    statuses = await pull(images)  # the image is whole again: only the lost layer comes
    assert statuses.count("Pull complete") == 1
    assert next(layers.glob("*/diff/etc/conf")).read_bytes() == b"setting=1\n" * 50
