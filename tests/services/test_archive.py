"""docker cp on the fakes: HEAD, GET and PUT /containers/{id}/archive through the real routes."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine

Client = TestClient[Any, Any]


def tar_of(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


def file_tar(name: str, data: bytes) -> bytes:
    return tar_of((entry(name), data))


def names_in(body: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        return [m.name + ("/" if m.isdir() else "") for m in tar.getmembers()]


async def running(engine: Engine, name: str | None = None, **fields: Any) -> str:
    """A running container whose (fake) rootfs has a /tmp, as busybox has."""
    cid = await engine.run("sleep", "300", name=name, **fields)
    (engine.context.paths(cid).rootfs / "tmp").mkdir()
    return cid


async def put(api: Client, cid: str, path: str, body: bytes, **query: str) -> Any:
    return await api.put(f"/containers/{cid}/archive", params={"path": path, **query}, data=body)


async def test_a_file_put_into_a_running_container_comes_back_with_its_stat(
    engine: Engine, api: Client
) -> None:
    cid = await running(engine)
    response = await put(api, cid, "/tmp", file_tar("hello.txt", b"hi there\n"))
    assert response.status == 200, await response.text()
    rootfs = engine.context.paths(cid).rootfs
    assert (rootfs / "tmp" / "hello.txt").read_bytes() == b"hi there\n"
    got = await api.get(f"/containers/{cid}/archive", params={"path": "/tmp/hello.txt"})
    assert got.status == 200 and got.content_type == "application/x-tar"
    body = await got.read()
    assert names_in(body) == ["hello.txt"]
    header = json.loads(base64.b64decode(got.headers["X-Docker-Container-Path-Stat"]))
    assert header["name"] == "hello.txt" and header["size"] == 9
    assert header["mode"] == 0o644 and header["linkTarget"] == ""
    assert header["mtime"].endswith("Z")
    assert [e.action for e in engine.events_of(cid)][-2:] == ["extract-to-dir", "archive-path"]


async def test_a_directory_comes_under_its_base_name_and_dot_gives_its_content_only(
    engine: Engine, api: Client
) -> None:
    cid = await running(engine)
    got = await api.get(f"/containers/{cid}/archive", params={"path": "/etc"})
    assert sorted(names_in(await got.read())) == ["etc/", "etc/group", "etc/passwd"]
    got = await api.get(f"/containers/{cid}/archive", params={"path": "/etc/."})
    assert sorted(names_in(await got.read())) == ["./", "./group", "./passwd"]
    head = await api.head(f"/containers/{cid}/archive", params={"path": "/etc"})
    stat = json.loads(base64.b64decode(head.headers["X-Docker-Container-Path-Stat"]))
    assert stat["name"] == "etc" and stat["mode"] & (1 << 31)  # Go's os.ModeDir


async def test_a_symlink_out_of_the_root_resolves_inside_the_container(
    engine: Engine, api: Client
) -> None:
    cid = await running(engine)
    rootfs = engine.context.paths(cid).rootfs
    os.symlink("/", rootfs / "rootlink")
    os.symlink("../../../../../../etc", rootfs / "bin" / "up")
    for path in ("/rootlink/etc/passwd", "/bin/up/passwd"):
        got = await api.get(f"/containers/{cid}/archive", params={"path": path})
        with tarfile.open(fileobj=io.BytesIO(await got.read())) as tar:
            member = tar.extractfile("passwd")
            assert member is not None
            assert b"app:x:1000" in member.read()  # the image's passwd, not the host's
    head = await api.head(f"/containers/{cid}/archive", params={"path": "/bin/up"})
    stat = json.loads(base64.b64decode(head.headers["X-Docker-Container-Path-Stat"]))
    assert stat["linkTarget"] == "/etc" and stat["mode"] & (1 << 27)  # os.ModeSymlink
    response = await put(api, cid, "/rootlink/tmp", file_tar("x", b"in"))
    assert response.status == 200
    assert (rootfs / "tmp" / "x").read_bytes() == b"in"


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([(entry("/abs"), b"x")], "absolute paths are not allowed"),
        ([(entry("../up"), b"x")], "'..' would leave"),
        ([(entry("ok"), b"x"), (entry("dev", tarfile.CHRTYPE), b"")], "device nodes"),
        ([(entry("ok"), b"x"), (entry("h", tarfile.LNKTYPE, "../../etc/passwd"), b"")],
         "escapes"),
    ],
)  # fmt: skip
async def test_a_hostile_archive_is_refused_whole_before_anything_is_written(
    engine: Engine, api: Client, members: list[tuple[tarfile.TarInfo, bytes]], words: str
) -> None:
    cid = await running(engine)
    response = await put(api, cid, "/tmp", tar_of(*members))
    assert response.status == 400
    assert words in (await response.json())["message"]
    assert not (engine.context.paths(cid).rootfs / "tmp" / "ok").exists()


async def test_an_archive_through_a_symlink_it_planted_is_refused(
    engine: Engine, api: Client
) -> None:
    cid = await running(engine)
    members = [(entry("link", tarfile.SYMTYPE, "/"), b""), (entry("link/escaped"), b"x")]
    response = await put(api, cid, "/tmp", tar_of(*members))
    assert response.status == 400
    assert "traverses the symlink" in (await response.json())["message"]
    assert not Path("/escaped").exists()


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("GET", "/nope", 404, "Could not find the file /nope in container {name}"),
        ("PUT", "/nope", 404, "Could not find the file /nope in container {name}"),
        ("PUT", "/etc/passwd", 400, "extraction point is not a directory"),
        ("GET", "", 400, "path cannot be empty"),
    ],
)  # fmt: skip
async def test_dockers_errors(
    engine: Engine, api: Client, method: str, path: str, status: int, words: str
) -> None:
    await running(engine, name="box")
    response = await api.request(method, "/containers/box/archive", params={"path": path},
                                 data=file_tar("f", b"x") if method == "PUT" else None)
    assert response.status == status
    assert words.format(name="box") in (await response.json())["message"]
    missing = await api.head("/containers/nothing/archive", params={"path": "/"})
    assert missing.status == 404


async def test_a_read_only_rootfs_refuses_an_upload(engine: Engine, api: Client) -> None:
    cid = await running(engine, HostConfig={"ReadonlyRootfs": True})
    response = await put(api, cid, "/tmp", file_tar("f", b"x"))
    assert response.status == 400
    assert (await response.json())["message"] == "container rootfs is marked read-only"


async def test_binds_are_honoured_at_their_destination_and_refused_below_another_point(
    engine: Engine, api: Client, tmp_path: Path
) -> None:
    data, frozen = tmp_path / "bind-data", tmp_path / "bind-frozen"
    data.mkdir()
    frozen.mkdir()
    cid = await running(engine, HostConfig={
        "Binds": [f"{data}:/data", f"{frozen}:/frozen:ro"], "Tmpfs": {"/scratch": ""}})
    assert (await put(api, cid, "/data", file_tar("in-bind", b"b"))).status == 200
    assert (data / "in-bind").read_bytes() == b"b"
    got = await api.get(f"/containers/{cid}/archive", params={"path": "/data/in-bind"})
    assert names_in(await got.read()) == ["in-bind"]
    refused = await put(api, cid, "/", file_tar("data/sneaky", b"s"))
    assert refused.status == 400
    assert "/data/sneaky is on the container's bind mount at /data" in (
        await refused.json())["message"]
    assert not (data / "sneaky").exists()
    read_only = await put(api, cid, "/frozen", file_tar("f", b"x"))
    assert (await read_only.json())["message"] == "mounted volume is marked read-only"
    tmpfs = await put(api, cid, "/scratch", file_tar("f", b"x"))
    assert "tmpfs mount at /scratch" in (await tmpfs.json())["message"]


async def test_a_created_container_is_mounted_for_the_copy_and_unmounted_after(
    engine: Engine, api: Client
) -> None:
    cid = await engine.create("sleep", "300")
    rootfs = engine.context.paths(cid).rootfs
    got = await api.get(f"/containers/{cid}/archive", params={"path": "/etc/passwd"})
    assert names_in(await got.read()) == ["passwd"]
    assert (await put(api, cid, "/", file_tar("f", b"x"))).status == 200
    assert not engine.mounter.is_mounted(rootfs)
    assert engine.mounter.mounts == 2
