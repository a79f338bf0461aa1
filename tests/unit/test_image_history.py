"""Image history as dockerd answers it: entries newest first, layer sizes, the platform JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.fake_registry import FakeRegistry, Network, build_image
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.platform import Platform, go_arch
from tuibox.engine.services.images.history import decode_platform, image_history
from tuibox.engine.services.images.service import ImageService

MIRROR = "http://mirror:5000"
HISTORY = [
    {"created": "2024-05-01T10:00:00.5Z", "created_by": "ADD rootfs.tar / # buildkit"},
    {"created": "2024-05-01T10:00:01Z", "created_by": 'CMD ["sh"]', "empty_layer": True},
    {"created": "2024-05-01T10:00:02Z", "created_by": "RUN echo hi > /etc/motd",
     "comment": "buildkit.dockerfile.v0"},
]  # fmt: skip
LAYERED = build_image(
    [{"bin/busybox": b"\x7fELF" * 100}, {"etc/motd": b"hi\n"}],
    config_changes={"history": HISTORY},
)


@pytest.fixture
async def images(tmp_path: Path) -> AsyncIterator[ImageService]:
    registry = FakeRegistry()
    registry.add("library/layered", "latest", LAYERED)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    service = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    async for _ in service.pull("layered", "latest", None):
        pass
    yield service
    await service.aclose()


async def test_a_pulled_image_lists_its_history_newest_first_with_layer_sizes(
    images: ImageService,
) -> None:
    record = images.resolve("layered")
    bottom, top = (images.layers.info(chain).size for chain in record.chain_ids)
    assert bottom != top
    assert await images.history("layered") == [
        {"Comment": "buildkit.dockerfile.v0", "Created": 1714557602,
         "CreatedBy": "RUN echo hi > /etc/motd", "Id": record.id, "Size": top,
         "Tags": ["layered:latest"]},
        {"Comment": "", "Created": 1714557601, "CreatedBy": 'CMD ["sh"]', "Id": "<missing>",
         "Size": 0, "Tags": None},
        {"Comment": "", "Created": 1714557600, "CreatedBy": "ADD rootfs.tar / # buildkit",
         "Id": "<missing>", "Size": bottom, "Tags": None},
    ]  # fmt: skip


async def test_history_by_id_and_of_a_removed_image(images: ImageService) -> None:
    record = images.resolve("layered")
    by_id = await images.history(record.short_id)
    assert by_id[0]["Id"] == record.id and by_id[0]["Tags"] == ["layered:latest"]
    await images.remove("layered", force=False, noprune=True)
    with pytest.raises(NotFound, match="No such image: layered:latest"):
        await images.history("layered")


async def test_the_platform_must_be_the_images(images: ImageService) -> None:
    here = f'{{"os":"linux","architecture":"{go_arch()}"}}'
    assert len(await images.history("layered", here)) == 3
    other = "arm64" if go_arch() != "arm64" else "amd64"
    with pytest.raises(NotFound, match=f"wanted linux/{other}, actual: linux/{go_arch()}"):
        await images.history("layered", f'{{"os":"linux","architecture":"{other}"}}')


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("linux/amd64", "failed to parse platform: the value is not valid JSON"),
        ("[" * 5000, "failed to parse platform: the value is nested too deeply"),
        ('["linux"]', "expected a JSON object"),
        ('{"os":"linux"}', "both OS and Architecture must be provided"),
        ('{"variant":"v7"}', "optional platform fields provided"),
        ('{"os":"linux","architecture":"amd64","cpu":"x"}', "unknown field 'cpu'"),
        ('{"os":"linux","architecture":"amd64","os.version":"10.0"}', "'os.version' is not"),
        ('{"os":"linux","architecture":7}', "architecture has the wrong type"),
    ],
)
def test_a_bad_platform_is_refused_by_name(text: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        decode_platform(text)


def test_the_platform_is_normalised_as_docker_does() -> None:
    assert decode_platform('{"os":"linux","architecture":"x86_64"}') == Platform("linux", "amd64")
    arm = decode_platform('{"os":"linux","architecture":"arm","variant":"v7"}')
    assert arm == Platform("linux", "arm", "v7")


def _record(history: list[dict[str, object]], layers: int) -> ImageRecord:
    diff_ids = [f"sha256:{n:064x}" for n in range(1, layers + 1)]
    config = {"history": history, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    digests = ("a@sha256:" + "b" * 64,)
    return ImageRecord("sha256:" + "a" * 64, config, ("a:1", "b:2"), digests)


def test_each_non_empty_entry_owns_the_next_layer_bottom_up() -> None:
    record = _record([{}, {"empty_layer": True}, {}], 2)
    sizes = {chain: 10 * (n + 1) for n, chain in enumerate(record.chain_ids)}
    entries = image_history(record, sizes.__getitem__)
    assert [e["Size"] for e in entries] == [20, 0, 10]
    assert entries[0]["Tags"] == ["a:1", "b:2"]
    assert [e["Created"] for e in entries] == [0, 0, 0]


def test_more_non_empty_entries_than_layers_is_dockerds_error() -> None:
    with pytest.raises(RuntimeFailure, match="too many non-empty layers in History section"):
        image_history(_record([{}, {}], 1), lambda _chain: 0)


def test_an_untagged_image_has_no_tags_and_digests_are_not_tags() -> None:
    tagged = _record([{}], 1)
    bare = ImageRecord(id=tagged.id, config=tagged.config, repo_digests=tagged.repo_digests)
    assert image_history(bare, lambda _chain: 0)[0]["Tags"] is None


def test_an_image_without_history_has_an_empty_one() -> None:
    assert image_history(_record([], 1), lambda _chain: 0) == []
