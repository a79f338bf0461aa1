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
