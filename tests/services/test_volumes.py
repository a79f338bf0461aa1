"""Volumes and mounts on the fakes: the volume verbs, what containers make and take, restarts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine
from tests.services.test_api_errors import assert_error
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotFound
from tuibox.engine.services.volumes.service import ANONYMOUS_LABEL

Client = TestClient[Any, Any]


async def test_create_is_idempotent_and_inspect_shows_dockers_fields(engine: Engine) -> None:
    volumes = engine.services.volumes
    first = volumes.create({"Name": "data", "Labels": {"team": "core"}})
    assert volumes.create({"Name": "data"}) == first
    assert first["Name"] == "data" and first["Driver"] == "local" and first["Scope"] == "local"
    assert first["Labels"] == {"team": "core"}
    assert Path(first["Mountpoint"]).is_dir()
    assert [e.action for e in engine.events_of("data")] == ["create"]


@pytest.mark.parametrize(
    ("body", "words"),
    [({"Name": "./x"}, "includes invalid characters"), ({"Driver": "nfs"}, "volume driver 'nfs'"),
     ({"DriverOpts": {"type": "tmpfs"}}, "--opt (DriverOpts) is not supported"),
     ({"Labels": {"a": 1}}, "Labels must be an object of strings"), ({"Name": 5}, "strings"),
     ({"Name": "v", "Scope": "global"}, "the volume field Scope is not supported")],
)  # fmt: skip
async def test_create_refuses_what_it_cannot_honour(
    engine: Engine, body: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(words)):
        engine.services.volumes.create(body)
    assert engine.services.volumes.records == {}


async def test_a_container_makes_its_volumes_and_a_copy_of_the_images_files(
    engine: Engine,
) -> None:
    container_id = await engine.run("sleep", "300", HostConfig={"Binds": ["etc-vol:/etc"]},
                                    Volumes={"/data": {}})  # fmt: skip
    record = engine.record(container_id)
    (named, anonymous) = record.mounts
    assert (named.source, named.anonymous) == ("etc-vol", False)
    assert anonymous.anonymous and len(anonymous.source) == 64
    volumes = engine.services.volumes
    assert volumes.records[anonymous.source].labels == {ANONYMOUS_LABEL: ""}
    assert (Path(volumes.data_dir("etc-vol")) / "passwd").read_bytes().startswith(b"root:x:0:0")
    mounts = engine.runtime.bundle_config(container_id)["mounts"]
    by_path = {m["destination"]: m for m in mounts}
    assert by_path["/etc"] == {"destination": "/etc", "type": "bind", "options": [
        "rbind", "rprivate", "rw"], "source": volumes.data_dir("etc-vol")}  # fmt: skip
    inspected = engine.services.containers.queries.inspect(container_id)["Mounts"]
    assert inspected[0] == {"Type": "volume", "Name": "etc-vol", "Source": volumes.data_dir(
        "etc-vol"), "Driver": "local", "Destination": "/etc", "Mode": "z", "RW": True,
        "Propagation": ""}  # fmt: skip


async def test_a_volume_in_use_cannot_be_removed_even_with_force(engine: Engine) -> None:
    container_id = await engine.create("true", HostConfig={"Binds": ["kept:/kept"]})
    volumes = engine.services.volumes
    for force in (False, True):
        with pytest.raises(Conflict, match=f"remove kept: volume is in use - \\[{container_id}\\]"):
            await volumes.remove("kept", force=force)
    await engine.services.containers.removal.remove(container_id, force=False)
    assert "kept" in volumes.records  # a named volume outlives its container, even with -v
    await volumes.remove("kept")
    assert "kept" not in volumes.records
    with pytest.raises(NotFound, match="get kept: no such volume"):
        await volumes.remove("kept")
    await volumes.remove("kept", force=True)  # force: a missing volume is fine


async def test_rm_v_takes_anonymous_volumes_not_named_or_shared_ones(engine: Engine) -> None:
    holder = await engine.create("true", Volumes={"/a": {}}, HostConfig={"Binds": ["n1:/n"]})
    anonymous = engine.record(holder).volume_names(anonymous_only=True)[0]
    sharer = await engine.create("true", HostConfig={"VolumesFrom": [holder]})
    await engine.services.containers.removal.remove(holder, force=False, volumes=True)
    volumes = engine.services.volumes.records
    assert anonymous in volumes, "the sharer still mounts it"
    await engine.services.containers.removal.remove(sharer, force=False, volumes=True)
    assert anonymous not in volumes and "n1" in volumes


async def test_an_auto_removed_container_takes_its_anonymous_volumes(engine: Engine) -> None:
    container_id = await engine.create("true", Volumes={"/a": {}}, HostConfig={"AutoRemove": True})
    (name,) = engine.record(container_id).volume_names()
    await engine.services.containers.lifecycle.start(container_id)
    await engine.wait_for(container_id, "destroy")
    assert name not in engine.services.volumes.records, "gone before `run --rm` is told"


async def test_volumes_from_copies_mounts_with_the_mode_asked(
    engine: Engine, tmp_path: Path
) -> None:
    holder = await engine.create("true", HostConfig={"Binds": [f"{tmp_path}:/host:ro", "v2:/v"],
                                                     "Tmpfs": {"/t": ""}})  # fmt: skip
    copied = engine.record(await engine.create("true", HostConfig={"VolumesFrom": [holder]}))
    assert [(m.destination, m.read_only) for m in copied.mounts] == [("/host", True), ("/v", False)]
    writable = engine.record(await engine.create(
        "true", HostConfig={"VolumesFrom": [f"{holder}:rw"], "Binds": ["/srv:/v"]}))  # fmt: skip
    assert [(m.destination, m.source, m.read_only) for m in writable.mounts] == [
        ("/v", "/srv", False), ("/host", str(tmp_path), False)]  # fmt: skip
    with pytest.raises(InvalidArgument, match="invalid mode for volumes-from: rx"):
        await engine.create("true", HostConfig={"VolumesFrom": [f"{holder}:rx"]})


async def test_a_missing_v_bind_source_is_made_at_start_not_at_create(engine: Engine) -> None:
    container_id = await engine.create("true", HostConfig={"Binds": ["/srv/new:/data"]})
    assert engine.mounter.bind_sources == []
    await engine.services.containers.lifecycle.start(container_id)
    assert engine.mounter.bind_sources == [Path("/srv/new")]


async def test_a_failed_create_leaves_no_volume_behind(engine: Engine) -> None:
    with pytest.raises(InvalidArgument):
        await engine.create("true", Volumes={"/a": {}}, HostConfig={"Binds": ["/a:/b:bogus"]})
    with pytest.raises(InvalidArgument, match="bind source path does not exist"):
        await engine.create("true", Volumes={"/a": {}}, HostConfig={"Mounts": [
            {"Type": "bind", "Source": "/no/such/dir", "Target": "/x"}]})  # fmt: skip
    assert engine.services.volumes.records == {}


async def test_list_filters_and_prune(engine: Engine) -> None:
    volumes = engine.services.volumes
    volumes.create({"Name": "named", "Labels": {"tier": "db"}})
    used = await engine.create("true", HostConfig={"Binds": ["in-use:/x"]})
    loose = await engine.create("true", Volumes={"/a": {}})
    (anonymous,) = engine.record(loose).volume_names()
    await engine.services.containers.removal.remove(loose, force=False)  # its volume stays

    def names(filters: dict[str, list[str]]) -> list[str]:
        return [v["Name"] for v in volumes.list_volumes(filters)["Volumes"]]

    assert names({"dangling": ["true"]}) == sorted([anonymous, "named"])
    assert names({"dangling": ["false"]}) == ["in-use"]
    assert names({"label": ["tier=db"]}) == ["named"]
    assert names({"name": ["use"]}) == ["in-use"]
    assert names({"driver": ["nfs"]}) == []
    with pytest.raises(InvalidArgument, match="invalid filter 'bogus'"):
        volumes.list_volumes({"bogus": ["1"]})
    assert (await volumes.prune({}))["VolumesDeleted"] == [anonymous]
    assert (await volumes.prune({"all": ["true"], "label!": ["tier=db"]}))["VolumesDeleted"] == []
    assert (await volumes.prune({"all": ["true"]}))["VolumesDeleted"] == ["named"]
    assert list(volumes.records) == ["in-use"] and used


async def test_volumes_survive_an_engine_restart(engine: Engine) -> None:
    container_id = await engine.create("true", HostConfig={"Binds": ["durable:/d"]})
    restarted = await engine.restart()
    assert "durable" in restarted.services.volumes.records
    with pytest.raises(Conflict, match="volume is in use"):
        await restarted.services.volumes.remove("durable")
    assert restarted.record(container_id).mounts[0].source == "durable"


async def test_the_volume_routes(api: Client, engine: Engine) -> None:
    created = await api.post("/volumes/create", json={"Name": "routed"})
    assert created.status == 201
    assert (await created.json())["Name"] == "routed"
    listed = await (await api.get("/volumes")).json()
    assert [v["Name"] for v in listed["Volumes"]] == ["routed"] and listed["Warnings"] == []
    assert (await (await api.get("/volumes/routed")).json())["Driver"] == "local"
    await assert_error(await api.get("/volumes/nope"), 404, "get nope: no such volume")
    assert (await api.post("/v1.41/volumes/prune")).status == 200  # before 1.42: all unused
    await assert_error(await api.get("/volumes/routed"), 404, "no such volume")
    await api.post("/volumes/create", json={"Name": "kept"})
    pruned = await (await api.post("/v1.44/volumes/prune")).json()
    assert pruned == {"VolumesDeleted": [], "SpaceReclaimed": 0}
    assert (await api.delete("/volumes/kept")).status == 204
    await assert_error(await api.post("/volumes/create", json={"Driver": "x"}), 400, "driver")
