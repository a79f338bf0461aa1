"""ImageService over a fake registry: pull progress, import, tag, rmi rules, JSON shapes."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_registry import (
    FakeImage,
    FakeRegistry,
    Network,
    build_image,
    index_for,
    layer_tar,
    sha,
)
from tuibox.engine.domain.config import EngineConfig
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from tuibox.engine.domain.platform import go_arch
from tuibox.engine.layers.writers.handoff import HAND_OFF_AFTER, WRITERS_PER_LAYER
from tuibox.engine.registry.manifests import OCI_INDEX
from tuibox.engine.services.images.service import ImageService

MIRROR = "http://mirror:5000"
BUSYBOX = build_image([{"bin/busybox": b"\x7fELF"}, {"etc/motd": b"hi"}], cmd=["sh"])
OTHER = build_image([{"bin/busybox": b"\x7fELF"}, {"etc/other": b"o"}], cmd=["true"])


def _layer_ids(image: FakeImage) -> list[str]:
    return [d.removeprefix("sha256:")[:12] for d in image.blobs if d != sha(image.config)]


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[ImageService, FakeRegistry]]:
    registry = FakeRegistry()
    registry.add("library/busybox", "latest", BUSYBOX)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    yield images, registry
    await images.aclose()


async def collect(messages: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m async for m in messages]


def lines(messages: list[dict[str, Any]]) -> list[str]:
    """What the docker CLI prints without a TTY: progress-bar messages are dropped."""
    return [f"{m['id']}: {m['status']}" if "id" in m else m["status"]
            for m in messages if not m.get("progressDetail")]  # fmt: skip


async def test_pull_stream_and_repull(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    first = await collect(images.pull("docker.io/library/busybox", "latest", "e30="))
    layer_ids = [d.removeprefix("sha256:")[:12] for d in BUSYBOX.blobs if d != sha(BUSYBOX.config)]
    layer = layer_ids[0]
    assert lines(first)[0] == "latest: Pulling from library/busybox"
    assert f"{layer}: Pulling fs layer" in lines(first)
    for status in ("Verifying Checksum", "Download complete", "Pull complete"):
        assert f"{layer}: {status}" in lines(first)
    assert lines(first)[-2:] == [
        f"Digest: {BUSYBOX.digest}", "Status: Downloaded newer image for busybox:latest",
    ]
    assert any(m["status"] == "Extracting" and m["progressDetail"] for m in first)
    second = await collect(images.pull("busybox", None, None))
    assert lines(second) == [
        "latest: Pulling from library/busybox", f"Digest: {BUSYBOX.digest}",
        "Status: Image is up to date for busybox:latest",
    ]


async def test_shared_layer_is_reported_as_already_existing(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, registry = service
    await collect(images.pull("busybox", None, None))
    registry.add("library/other", "latest", OTHER)
    shared = BUSYBOX.diff_ids and _layer_ids(BUSYBOX)[0]
    messages = lines(await collect(images.pull("other", None, None)))
    assert f"{shared}: Already exists" in messages
    assert f"{_layer_ids(OTHER)[1]}: Pull complete" in messages


async def test_pulled_image_record(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    await collect(images.pull("busybox", "latest", None))
    record = images.resolve("busybox")
    assert record.id == BUSYBOX.image_id
    assert record.repo_tags == ("busybox:latest",)
    assert record.repo_digests == (f"busybox@{BUSYBOX.digest}",)
    assert record.container_config["Cmd"] == ["sh"]
    assert record.created == 1714557600
    for name in (record.id, record.id.removeprefix("sha256:"), record.short_id,
                 "sha256:" + record.short_id, "busybox:latest", "docker.io/library/busybox",
                 f"busybox@{BUSYBOX.digest}"):  # fmt: skip
        assert images.resolve(name).id == record.id
    dirs = images.layer_dirs(record.id)
    assert (dirs[0] / "etc/motd").read_bytes() == b"hi"
    assert (dirs[1] / "bin/busybox").exists()
    with pytest.raises(NotFound, match=r"^No such image: nosuch:latest$"):
        images.resolve("nosuch")
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        images.resolve("Bad//Name")


async def test_missing_repository_fails_before_any_message(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, _ = service
    stream = images.pull("nosuch", "latest", None)
    with pytest.raises(NotFound, match="pull access denied for nosuch"):
        await anext(stream)


async def test_invalid_reference_is_invalid_argument(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, _ = service
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        await anext(images.pull("Bad:Name:x", None, None))


async def test_failed_pull_leaves_the_store_as_it_was(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, registry = service
    good = build_image([{"ok": b"fine"}, {"../escape": b"x"}])
    registry.add("library/evil", "latest", good)
    with pytest.raises(InvalidArgument, match=r"'\.\.' would leave the layer"):
        await collect(images.pull("evil", None, None))
    assert images.image_count() == 0
    layers_root = tmp_path / "data/layers"
    assert list(layers_root.iterdir()) == []
    assert list((tmp_path / "data/content/sha256").iterdir()) == []
    assert list((tmp_path / "data/content/ingest").iterdir()) == []


async def test_import_with_changes_and_tag(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    raw = layer_tar({"bin/tool": b"#!/bin/sh\n"})

    async def body() -> AsyncIterator[bytes]:
        data = gzip.compress(raw)
        for start in range(0, len(data), 7):
            yield data[start : start + 7]

    messages = await collect(images.import_rootfs(
        body(), "myimg:v1", None, "my msg", ['CMD ["sh"]', "ENV A=1", "WORKDIR /w"]))
    image_id = messages[-1]["status"]
    record = images.resolve("myimg:v1")
    assert record.id == image_id
    assert record.diff_ids == [sha(raw)]
    assert record.container_config == {"Cmd": ["sh"], "Env": ["A=1"], "WorkingDir": "/w"}
    inspect = await images.inspect("myimg:v1")
    assert inspect["Comment"] == "my msg"
    assert inspect["Os"] == "linux"
    assert (images.layer_dirs(image_id)[0] / "bin/tool").exists()


async def test_import_of_garbage_is_refused_and_leaves_nothing(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, _ = service

    async def body() -> AsyncIterator[bytes]:
        yield b"this is not a tarball" * 50

    with pytest.raises(InvalidArgument, match="not a valid tar stream"):
        await collect(images.import_rootfs(body(), "x", None, None, []))
    assert list((tmp_path / "data/layers").iterdir()) == []


async def test_tag_list_and_inspect_shapes(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    await images.tag("busybox", "docker.io/myrepo/foo", "v1")
    summary = await images.list_images(False, {})
    assert len(summary) == 1
    assert summary[0]["RepoTags"] == ["busybox:latest", "myrepo/foo:v1"]
    assert summary[0]["Created"] == 1714557600
    assert summary[0]["Size"] == 6
    filtered = await images.list_images(False, {"reference": ["myrepo/*"]})
    assert len(filtered) == 1
    assert await images.list_images(False, {"reference": ["nothing"]}) == []
    with pytest.raises(InvalidArgument, match="invalid filter 'bogus'"):
        await images.list_images(False, {"bogus": ["x"]})
    inspect = await images.inspect("myrepo/foo:v1")
    assert inspect["Created"] == "2024-05-01T10:00:00.123456789Z"
    assert inspect["RootFS"] == {"Type": "layers", "Layers": BUSYBOX.diff_ids}
    assert inspect["Config"]["Cmd"] == ["sh"]
    with pytest.raises(InvalidArgument):
        await images.tag("busybox", "Bad Repo", None)


async def test_rmi_untags_then_deletes_with_layers(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    await images.tag("busybox", "other", None)
    untagged = await images.remove("other", force=False, noprune=False)
    assert untagged == [{"Untagged": "other:latest"}]
    result = await images.remove("busybox", force=False, noprune=False)
    assert result[:3] == [
        {"Untagged": "busybox:latest"},
        {"Untagged": f"busybox@{BUSYBOX.digest}"},
        {"Deleted": BUSYBOX.image_id},
    ]
    assert len(result) == 5  # plus both layers
    assert images.image_count() == 0
    assert list((tmp_path / "data/layers").iterdir()) == []
    assert list((tmp_path / "data/content/sha256").iterdir()) == []


async def test_rmi_conflicts(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    image_id = images.resolve("busybox").id
    usage = {image_id: [("c" * 64, False)]}
    images.set_usage_lookup(lambda i: usage.get(i, []))
    with pytest.raises(Conflict, match='unable to remove repository reference "busybox"'):
        await images.remove("busybox", force=False, noprune=False)
    stopped = r"must be forced\) - image is being used by stopped container c{12}"
    with pytest.raises(Conflict, match=stopped):
        await images.remove(image_id, force=False, noprune=False)
    usage[image_id] = [("d" * 64, True)]
    with pytest.raises(Conflict) as caught:
        await images.remove("busybox", force=True, noprune=False)
    assert str(caught.value) == (
        f"conflict: unable to delete {image_id[7:19]} (cannot be forced) - "
        "image is being used by running container dddddddddddd"
    )
    assert images.resolve("busybox").repo_tags == ("busybox:latest",)
    usage[image_id] = [("c" * 64, False)]
    result = await images.remove("busybox", force=True, noprune=False)
    assert {"Deleted": image_id} in result
    assert len(result) == 3  # layers kept for the stopped container


async def test_rmi_unknown_image(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    with pytest.raises(NotFound, match="No such image: ghost:latest"):
        await images.remove("ghost", force=True, noprune=False)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


async def test_cancelled_pull_removes_what_it_added(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, _ = service
    stream = images.pull("busybox", None, None)
    async for message in stream:
        if message["status"] == "Pull complete":
            break
    assert list((tmp_path / "data/layers").iterdir())
    await stream.aclose()
    assert images.image_count() == 0
    assert list((tmp_path / "data/layers").iterdir()) == []
    assert list((tmp_path / "data/content/sha256").iterdir()) == []


async def test_rmi_during_a_pull_keeps_the_layer_the_pull_reported_present(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, registry = service
    await collect(images.pull("busybox", None, None))
    registry.add("library/other", "latest", OTHER)
    stream = images.pull("other", None, None)
    async for message in stream:
        if message["status"] == "Already exists":
            break
    removed = await images.remove("busybox", force=True, noprune=False)
    assert len(removed) == 4  # two untags, the image, its unshared top layer only
    rest = [m async for m in stream]
    assert rest[-1]["status"] == "Status: Downloaded newer image for other:latest"
    dirs = images.layer_dirs(OTHER.image_id)
    assert (dirs[1] / "bin/busybox").exists() and (dirs[0] / "etc/other").exists()


async def test_failed_pull_keeps_a_layer_another_pull_holds(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, registry = service
    evil = build_image([{"bin/busybox": b"\x7fELF"}, {"../x": b"x"}])
    registry.add("library/evil", "latest", evil)
    registry.add("library/other", "latest", OTHER)
    good = images.pull("other", None, None)
    bad = images.pull("evil", None, None)
    await anext(good)
    await anext(bad)
    bad_messages = []
    with pytest.raises(InvalidArgument):
        async for message in bad:  # unpacks the shared bottom layer, then fails
            bad_messages.append(message)
            if message["status"] == "Pull complete":
                good_messages = [m async for m in _until_first_layer_status(good)]
                assert good_messages
    assert (await collect(good))[-1]["status"].startswith("Status: Downloaded newer image")
    assert images.layer_dirs(OTHER.image_id)[1].joinpath("bin/busybox").exists()


async def _until_first_layer_status(
    stream: AsyncIterator[dict[str, Any]],
) -> AsyncIterator[dict[str, Any]]:
    async for message in stream:
        yield message
        if message["status"] in ("Already exists", "Pulling fs layer"):
            return


async def test_rmi_force_keeps_layers_held_by_containers(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    record = images.resolve("busybox")
    chains = images.chain_ids(record.id)
    assert chains == record.chain_ids and chains[0] == BUSYBOX.diff_ids[0]
    held = set(chains)
    images.set_usage_lookup(lambda i: [("c" * 64, False)] if i == record.id else [])
    images.set_layer_usage_lookup(lambda: held)
    await images.remove("busybox", force=True, noprune=False)
    images.set_usage_lookup(lambda i: [])
    dirs = images.layer_dirs_for_chains(chains)
    assert (dirs[0] / "etc/motd").read_bytes() == b"hi"
    assert (await images.collect_garbage()).layers == 0
    assert images.layer_dirs_for_chains(chains) == dirs
    held.clear()  # the container is removed
    collected = await images.collect_garbage()
    assert collected.layers == 2
    assert list((tmp_path / "data/layers").iterdir()) == []
    with pytest.raises(NotFound, match=f"layer {chains[-1]} is missing"):
        images.layer_dirs_for_chains(chains)


async def test_garbage_collection_removes_only_unreferenced_items(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path
) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    await images.durability.settled()  # the layers' unsynced marks go once synced
    before = _tree(tmp_path / "data")
    orphan_blob = images.content.put(b"orphan")
    orphan_layer = "sha256:" + "e" * 64
    staging = images.layers.staging_dir()
    images.layers.commit(staging, orphan_layer, orphan_layer, 0)
    collected = await images.collect_garbage()
    assert (collected.blobs, collected.layers) == (1, 1)
    assert not images.content.has(orphan_blob)
    assert _tree(tmp_path / "data") == before


@pytest.mark.parametrize(("changes", "problem"), [
    ({"config": {"Cmd": "sh -c true"}}, "config.Cmd is not a list of strings"),
    ({"config": {"Env": ["A=1", 2]}}, "config.Env is not a list of strings"),
    ({"config": {"Labels": {"a": 1}}}, "config.Labels is not a string map"),
    ({"config": {"ExposedPorts": ["80/tcp"]}}, "config.ExposedPorts is not a map of objects"),
    ({"config": {"Volumes": {"/v": 1}}}, "config.Volumes is not a map of objects"),
    ({"config": []}, "config is not an object"),
    ({"rootfs": {"diff_ids": ["sha256:xyz"]}}, "rootfs.diff_ids has an invalid digest"),
    ({"rootfs": {"diff_ids": "sha256:" + "a" * 64}}, "rootfs.diff_ids is not a list"),
    ({"rootfs": []}, "rootfs is missing or not an object"),
    ({"created": "2024-02-30T10:00:00Z"}, "is not a valid RFC 3339 time"),
    ({"created": 5}, "is not a valid RFC 3339 time"),
])  # fmt: skip
async def test_invalid_image_config_is_refused_and_stores_nothing(
    service: tuple[ImageService, FakeRegistry], tmp_path: Path,
    changes: dict[str, Any], problem: str,
) -> None:  # fmt: skip
    images, registry = service
    registry.add("library/bad", "latest", build_image([{"f": b"x"}], config_changes=changes))
    with pytest.raises(InvalidArgument, match=f"invalid image config: .*{problem}"):
        await collect(images.pull("bad", None, None))
    assert images.image_count() == 0
    assert _tree(tmp_path / "data/layers") == []
    assert _tree(tmp_path / "data/content/sha256") == []


async def test_layer_removed_behind_the_pulls_back_fails_the_record(
    service: tuple[ImageService, FakeRegistry],
) -> None:
    images, _ = service
    stream = images.pull("busybox", None, None)
    async for message in stream:
        if message["status"] == "Pull complete":
            break
    images.layers.remove(images.layers.chain_ids()[0])  # what leases exist to prevent
    with pytest.raises(RuntimeFailure, match="was removed during the pull"):
        await collect(stream)
    assert images.image_count() == 0


async def test_tag_with_a_newline_is_refused(service: tuple[ImageService, FakeRegistry]) -> None:
    images, _ = service
    await collect(images.pull("busybox", None, None))
    for tag in ("v1\n", "tést"):
        with pytest.raises(InvalidArgument, match="invalid tag format"):
            await images.tag("busybox", "mine", tag)
    assert images.resolve("busybox").repo_tags == ("busybox:latest",)


async def test_concurrent_pulls_of_one_image_fetch_each_layer_once(tmp_path: Path) -> None:
    layers = [{f"data/{n}.txt": f"layer {n}\n".encode() * 5000} for n in range(5)]
    image = build_image(layers, cmd=["sh"])
    registry = FakeRegistry()
    registry.add("library/wide", "latest", image)
    network = Network({"mirror:5000": registry})
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    images = ImageService.open(config, transport=network.transport())
    try:
        first, second = await asyncio.gather(collect(images.pull("wide", None, None)),
                                             collect(images.pull("wide", None, None)))  # fmt: skip
        layer_blobs = [d for d in image.blobs if d != sha(image.config)]
        fetched = [url for url in network.seen if "/blobs/" in url]
        for digest in layer_blobs:
            assert sum(url.endswith(digest) for url in fetched) == 1, digest
        statuses = {first[-1]["status"], second[-1]["status"]}  # the later one may be up to date
        assert "Status: Downloaded newer image for wide:latest" in statuses
        assert statuses <= {"Status: Downloaded newer image for wide:latest",
                            "Status: Image is up to date for wide:latest"}  # fmt: skip
        assert images.image_count() == 1
        layer_dirs = [p for p in (tmp_path / "data/layers").iterdir()]
        assert len(layer_dirs) == 5
        assert all((p / "tar-split.z").is_file() for p in layer_dirs)
        blobs = {p.name for p in (tmp_path / "data/content/sha256").iterdir()}
        assert not blobs & {d.removeprefix("sha256:") for d in layer_blobs}  # none kept
    finally:
        await images.aclose()


async def test_a_failing_mirror_is_reported_and_the_next_one_serves(tmp_path: Path) -> None:
    registry = FakeRegistry()
    registry.add("library/busybox", "latest", BUSYBOX)
    config = EngineConfig(data_root=tmp_path / "data",
                          registry_mirrors=("http://dead:5000", MIRROR))  # fmt: skip
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    try:
        messages = await collect(images.pull("busybox", None, None))
    finally:
        await images.aclose()
    statuses = [m["status"] for m in messages]
    assert statuses[0].startswith("Mirror http://dead:5000 failed, tried the next: ")
    assert statuses[1] == "Pulling from library/busybox"
    assert statuses[-1] == "Status: Downloaded newer image for busybox:latest"


async def test_pull_with_a_platform_takes_that_entry_of_a_manifest_list(tmp_path: Path) -> None:
    foreign = "arm64" if go_arch() != "arm64" else "amd64"
    theirs = build_image([{"bin/tool": foreign.encode()}], config_changes={"architecture": foreign})
    ours = build_image([{"bin/tool": b"ours"}])
    registry = FakeRegistry()
    registry.add("library/multi", "by-digest-a", theirs)
    registry.add("library/multi", "by-digest-b", ours)
    registry.add_document("library/multi", "latest", index_for({foreign: theirs, go_arch(): ours}),
                          OCI_INDEX)  # fmt: skip
    registry.add("library/single", "latest", ours)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    try:
        await collect(images.pull("multi", None, None, platform=f"linux/{foreign}"))
        record = images.images.get(sha(theirs.config))
        assert record is not None and record.config["architecture"] == foreign
        assert images.images.get(sha(ours.config)) is None
        with pytest.raises(NotFound, match="no matching manifest for linux/s390x"):
            await collect(images.pull("multi", None, None, platform="linux/s390x"))
        with pytest.raises(NotFound, match=f"does not match the specified platform: wanted "
                                           f"linux/{foreign}"):  # fmt: skip
            await collect(images.pull("single", None, None, platform=f"linux/{foreign}"))
        assert images.images.get(sha(ours.config)) is None  # the refused pull kept nothing
    finally:
        await images.aclose()


async def test_max_concurrent_downloads_bounds_the_downloads_at_once(tmp_path: Path) -> None:
    image = build_image([{f"f{n}": b"x" * 1000} for n in range(4)])
    registry = FakeRegistry(blob_pause=0.05)
    registry.add("library/four", "latest", image)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,),
                          max_concurrent_downloads=1)  # fmt: skip
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    try:
        messages = await collect(images.pull("four", None, None))
    finally:
        await images.aclose()
    # One download at a time: each layer's download ends before the next one's begins
    # (a layer may still be unpacking when the next download starts).
    order = [(m["status"], m["id"]) for m in messages
             if m.get("status") in ("Downloading", "Verifying Checksum")]  # fmt: skip
    downloading: set[str] = set()
    for status, layer_id in order:
        if status == "Downloading":
            downloading.add(layer_id)
            assert len(downloading) == 1, f"two layers downloading at once: {downloading}"
        else:
            downloading.discard(layer_id)
    assert len({layer_id for _, layer_id in order}) == 4


async def test_a_pulled_layer_of_many_small_files_goes_through_a_writer_helper(
    tmp_path: Path,
) -> None:
    files = {f"share/d{n // 100}/f{n}": b"small %d\n" % n for n in range(HAND_OFF_AFTER + 500)}
    image = build_image([files])
    registry = FakeRegistry()
    registry.add("library/many", "latest", image)
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,))
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    try:
        await collect(images.pull("many", None, None))
        assert images.writers.started == WRITERS_PER_LAYER
        record = images.resolve("many")
        (diff,) = images.layer_dirs_for_chains(images.chain_ids(record.id))
        for name, data in files.items():
            assert (diff / name).read_bytes() == data
    finally:
        await images.aclose()
    assert images.writers.alive == 0, "the engine's helpers stop with it"


@pytest.mark.timeout(90)  # the stall it guards against is a hang
async def test_unpacking_layers_never_starve_the_executor_their_downloads_need(
    tmp_path: Path,
) -> None:
    """Blobs that arrive faster than they unpack fill their feeds. A full feed's put once
    waited in an executor thread, which never came while every one was taken by an
    unpacking layer: the pull hung. Two executor threads, two layers of many small files."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
    layers = [{f"d{n // 100}/f{n}": os.urandom(200) for n in range(3000)} for _ in range(2)]
    registry = FakeRegistry(blob_chunk=1024)
    registry.add("library/two", "latest", build_image(layers))
    config = EngineConfig(data_root=tmp_path / "data", registry_mirrors=(MIRROR,),
                          max_concurrent_downloads=2)  # fmt: skip
    images = ImageService.open(config, transport=Network({"mirror:5000": registry}).transport())
    try:
        messages = await asyncio.wait_for(collect(images.pull("two", None, None)), 60)
        assert messages[-1]["status"].startswith("Status: Downloaded newer image")
    finally:
        await images.aclose()
