"""Pull through ImageService from Debian's docker-registry on loopback, as a Hub mirror."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.marks import NEEDS_REGISTRY
from tuibox.demo.images import build_demo_images
from tuibox.demo.push import push_image
from tuibox.demo.registry import LocalRegistry
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import NotFound
from tuibox.engine.services.images.service import ImageService

pytestmark = NEEDS_REGISTRY


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry holding busybox (schema2) as library/busybox and as OCI at oci/busybox."""
    with LocalRegistry(tmp_path_factory.mktemp("registry")) as registry:
        docker_box = next(i for i in build_demo_images() if i.name == "busybox")
        oci_box = next(i for i in build_demo_images(manifest_format="oci") if i.name == "busybox")
        push_image(registry.url, docker_box)
        push_image(registry.url, oci_box, "oci/busybox", tag="latest")
        yield registry.url


@pytest.fixture
async def images(tmp_path: Path, registry_url: str) -> AsyncIterator[ImageService]:
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(registry_url,))
    service = ImageService.open(config)
    yield service
    await service.aclose()


async def collect(messages: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m async for m in messages]


def statuses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["status"] for m in messages]


async def test_pull_through_the_mirror(images: ImageService, tmp_path: Path) -> None:
    first = await collect(images.pull("docker.io/library/busybox", "latest", "e30="))
    assert first[0] == {"status": "Pulling from library/busybox", "id": "latest"}
    for status in ("Pulling fs layer", "Verifying Checksum", "Download complete",
                   "Extracting", "Pull complete"):  # fmt: skip
        assert status in statuses(first)
    layer_ids = {m["id"] for m in first if m.get("status") == "Pull complete"}
    assert all(len(i) == 12 for i in layer_ids)
    assert statuses(first)[-2].startswith("Digest: sha256:")
    assert statuses(first)[-1] == "Status: Downloaded newer image for busybox:latest"

    record = images.resolve("busybox")
    assert record.repo_tags == ("busybox:latest",)
    assert record.container_config["Cmd"] == ["sh"]
    lower = images.layer_dirs(record.id)
    assert any((d / "bin/busybox").exists() for d in lower)
    assert all(d.is_relative_to(tmp_path / "data/layers") for d in lower)

    second = await collect(images.pull("busybox", None, None))
    assert statuses(second) == [  # as moby: no per-layer lines for an image already here
        "Pulling from library/busybox",
        statuses(first)[-2],
        "Status: Image is up to date for busybox:latest",
    ]


async def test_oci_manifest_directly_from_a_loopback_registry(
    images: ImageService, registry_url: str
) -> None:
    host = registry_url.removeprefix("http://")
    messages = await collect(images.pull(f"{host}/oci/busybox", "latest", None))
    assert statuses(messages)[-1] == f"Status: Downloaded newer image for {host}/oci/busybox:latest"
    inspect = await images.inspect(f"{host}/oci/busybox")
    assert inspect["RepoTags"] == [f"{host}/oci/busybox:latest"]
    assert inspect["Os"] == "linux"


async def test_missing_repository_and_tag(images: ImageService) -> None:
    with pytest.raises(NotFound, match="pull access denied for nosuchimage"):
        await anext(images.pull("nosuchimage", "latest", None))
    with pytest.raises(NotFound, match="manifest for busybox:nosuchtag not found"):
        await anext(images.pull("busybox", "nosuchtag", None))
    assert images.image_count() == 0
