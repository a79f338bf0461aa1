"""The layer explorer on the real engine: a pulled busybox and images committed with the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import EngineProcess

BIG_KIB = 300


def _explore(cli: EngineProcess, name: str, **query: str) -> dict[str, Any]:
    with cli.client() as api:
        response = api.get(f"/tuibox/v1/images/{name}/layers", params=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def _history_sizes(cli: EngineProcess, name: str) -> list[int]:
    with cli.client() as api:
        entries = api.get(f"/images/{name}/history").json()
    return [int(entry["Size"]) for entry in reversed(entries)]


def _commit_after(cli: EngineProcess, base: str, script: str, target: str) -> None:
    """Run `script` in a container of `base` and commit it as `target`."""
    name = "lx-" + target.replace(":", "-")
    made = cli.docker("run", "--name", name, base, "sh", "-c", script)
    assert made.returncode == 0, made.stderr
    try:
        committed = cli.docker("commit", name, target)
        assert committed.returncode == 0, committed.stderr
    finally:
        cli.docker("rm", "-f", name)


@pytest.fixture
def committed(cli: EngineProcess) -> Iterator[EngineProcess]:
    """lx:1 adds /data/big and /data/keep to busybox; lx:2 removes /data/big, rewrites
    /etc/passwd and removes the /etc/group busybox brought."""
    _commit_after(cli, "busybox", f"mkdir /data && head -c {BIG_KIB * 1024} /dev/zero > "
                  "/data/big && echo keep > /data/keep", "lx:1")  # fmt: skip
    try:
        _commit_after(cli, "lx:1", "rm /data/big /etc/group && echo root:x:0:0::/:/bin/sh "
                      "> /etc/passwd", "lx:2")  # fmt: skip
        yield cli
    finally:
        cli.docker("rmi", "-f", "lx:2", "lx:1")


def test_a_pulled_image_is_one_layer_of_added_files(cli: EngineProcess) -> None:
    document = _explore(cli, "busybox")
    (layer,) = document["layers"]
    entries = {entry["path"]: entry for entry in layer["entries"]}
    assert {entry["change"] for entry in layer["entries"]} == {"added"}
    assert entries["/bin/busybox"]["kind"] == "file"
    assert entries["/bin/busybox"]["mode"] == 0o755
    assert (entries["/bin/sh"]["kind"], entries["/bin/sh"]["size"]) == ("symlink", len("busybox"))
    assert entries["/tmp"]["mode"] == 0o1777
    assert layer["created_by"] == "tuibox demo: busybox from Debian busybox-static"
    assert [layer["size"]] == _history_sizes(cli, "busybox")
    assert (document["wasted_bytes"], document["efficiency"]) == (0, 1.0)


def test_a_committed_image_shows_removed_modified_and_wasted_files(
    committed: EngineProcess,
) -> None:
    busybox = {e["path"]: e for e in _explore(committed, "busybox")["layers"][0]["entries"]}
    document = _explore(committed, "lx:2")
    _, first, second = document["layers"]
    assert {e["path"]: e["change"] for e in first["entries"] if e["kind"] != "dir"} == {
        "/data/big": "added", "/data/keep": "added",
    }  # fmt: skip
    assert {e["path"]: e["change"] for e in first["entries"]}["/data"] == "added"
    changes = {e["path"]: e["change"] for e in second["entries"]}
    assert {path: changes[path] for path in ("/data/big", "/etc/group", "/etc/passwd")} == {
        "/data/big": "removed", "/etc/group": "removed", "/etc/passwd": "modified",
    }  # fmt: skip
    assert "/data/keep" not in changes
    removed_big = next(e for e in second["entries"] if e["path"] == "/data/big")
    assert (removed_big["kind"], removed_big["size"]) == ("file", BIG_KIB * 1024)
    old_passwd, old_group = busybox["/etc/passwd"]["size"], busybox["/etc/group"]["size"]
    assert document["wasted_bytes"] == BIG_KIB * 1024 + old_passwd + old_group
    assert document["wasted_files"][0] == {"path": "/data/big", "copies": 1,
                                           "total_bytes": BIG_KIB * 1024,
                                           "wasted_bytes": BIG_KIB * 1024}  # fmt: skip
    passwd = next(f for f in document["wasted_files"] if f["path"] == "/etc/passwd")
    assert (passwd["copies"], passwd["wasted_bytes"]) == (2, old_passwd)
    total = sum(layer["size"] for layer in document["layers"])
    assert document["size"] == total
    assert document["efficiency"] == pytest.approx((total - document["wasted_bytes"]) / total)
    assert [layer["size"] for layer in document["layers"]] == _history_sizes(committed, "lx:2")
    assert [layer["diff_id"] for layer in document["layers"]] == json.loads(
        committed.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", "lx:2").stdout
    )


def test_the_path_filter_and_limit_on_the_real_engine(committed: EngineProcess) -> None:
    layers = _explore(committed, "lx:2", path="/data", limit="1")["layers"]
    assert [layer["entries"] for layer in layers[:1]] == [[]]
    assert [e["path"] for e in layers[1]["entries"]] == ["/data"]
    assert (layers[1]["entry_count"], layers[1]["truncated"]) == (3, True)


def test_an_unknown_parameter_and_image_are_refused(cli: EngineProcess) -> None:
    with cli.client() as api:
        refused = api.get("/tuibox/v1/images/busybox/layers", params={"depth": "2"})
        missing = api.get("/tuibox/v1/images/lx-nope/layers")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "unknown query parameter for GET /tuibox/v1/images/{name}/layers: depth"
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == "No such image: lx-nope:latest"
