"""docker export on the fakes: GET /containers/{id}/export through the real routes."""

from __future__ import annotations

import io
import tarfile
from typing import Any

from aiohttp.test_utils import TestClient

from tests.services.conftest import Engine

Client = TestClient[Any, Any]


async def _export(api: Client, cid: str) -> tarfile.TarFile:
    response = await api.get(f"/containers/{cid}/export")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/x-tar"
    return tarfile.open(fileobj=io.BytesIO(await response.read()))


async def test_a_running_container_exports_its_whole_filesystem(
    engine: Engine, api: Client
) -> None:
    cid = await engine.run("sleep", "300")
    rootfs = engine.context.paths(cid).rootfs
    (rootfs / "mine").write_bytes(b"mine\n")
    (rootfs / "link").symlink_to("/etc/passwd")
    with await _export(api, cid) as tar:
        assert {"bin/busybox", "etc/passwd", "etc/group", "mine", "link"} <= set(tar.getnames())
        assert tar.getmember("link").linkname == "/etc/passwd"
        mine = tar.extractfile("mine")
        assert mine is not None and mine.read() == b"mine\n"


async def test_a_stopped_container_is_mounted_for_the_export_only(
    engine: Engine, api: Client
) -> None:
    cid = await engine.create("true")
    rootfs = engine.context.paths(cid).rootfs
    assert not engine.mounter.is_mounted(rootfs)
    with await _export(api, cid) as tar:
        assert "bin/busybox" in tar.getnames()
    assert not engine.mounter.is_mounted(rootfs)
    missing = await api.get("/containers/nosuch/export")
    assert missing.status == 404


async def _read_to_the_tar_end(response: Any, rootfs: Any, engine: Engine) -> list[bool]:
    """Read the body as a client does, stopping at the tar's end (its two zero blocks and
    the record padding) as the docker CLI stops: whether the rootfs was still mounted
    when each complete-looking prefix arrived."""
    data, seen = b"", []
    async for chunk in response.content.iter_any():
        data += chunk
        if len(data) % tarfile.RECORDSIZE == 0 and data.endswith(b"\0" * 1024):
            seen.append(engine.mounter.is_mounted(rootfs))
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                if "bin/busybox" in tar.getnames() or "busybox" in tar.getnames():
                    return seen
    raise AssertionError("the body ended before the tar did")


async def test_a_stopped_container_is_unmounted_before_the_tar_s_end_is_sent(
    engine: Engine, api: Client
) -> None:
    """A client that stops reading at the tar's end (the docker CLI) must find the
    stopped container unmounted again: the end is held back until the unmount."""
    cid = await engine.create("true")
    rootfs = engine.context.paths(cid).rootfs
    exported = await api.get(f"/containers/{cid}/export")
    assert await _read_to_the_tar_end(exported, rootfs, engine) == [False]
    copied = await api.get(f"/containers/{cid}/archive", params={"path": "/bin/busybox"})
    assert copied.status == 200
    assert await _read_to_the_tar_end(copied, rootfs, engine) == [False]
    assert not engine.mounter.is_mounted(rootfs)
