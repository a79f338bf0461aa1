"""docker history and docker-py's image.history() against the real engine."""

from __future__ import annotations

import json

import docker

from tests.engine.conftest import EngineProcess


def _history(cli: EngineProcess, image: str) -> list[dict[str, str]]:
    listed = cli.docker("history", "--no-trunc", "--format", "{{json .}}", image)
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_a_pulled_image_and_its_commit(cli: EngineProcess) -> None:
    inspect = json.loads(cli.docker("image", "inspect", "busybox").stdout)[0]
    pulled = _history(cli, "busybox")
    assert [row["ID"] for row in pulled] == [inspect["Id"]]
    assert pulled[0]["CreatedBy"] == "tuibox demo: busybox from Debian busybox-static"
    table = cli.docker("history", "busybox").stdout.splitlines()
    assert table[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert table[1].startswith(inspect["Id"].removeprefix("sha256:")[:12] + "   ")
    made = cli.docker("run", "-d", "--name", "hist-run", "busybox", "sleep", "300")
    assert made.returncode == 0, made.stderr
    written = cli.docker("exec", "hist-run", "dd", "if=/dev/zero", "of=/big", "bs=1k", "count=200")
    assert written.returncode == 0, written.stderr
    try:
        assert cli.docker("commit", "-m", "big file", "hist-run", "hist-img:1").returncode == 0
        rows = _history(cli, "hist-img:1")
        new_id = json.loads(cli.docker("image", "inspect", "hist-img:1").stdout)[0]["Id"]
        assert [(row["ID"], row["Comment"], row["CreatedBy"]) for row in rows] == [
            (new_id, "big file", "sleep 300"),
            ("<missing>", "", pulled[0]["CreatedBy"]),
        ]
        assert rows[0]["Size"].endswith("kB") and float(rows[0]["Size"][:-2]) >= 204.8
        assert rows[1]["Size"] == pulled[0]["Size"]
    finally:
        cli.docker("rmi", "-f", "hist-img:1")


def test_docker_py_image_history(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host)
    try:
        image = client.images.get("busybox")
        (entry,) = image.history()
        assert (entry["Id"], entry["Tags"]) == (image.id, ["busybox:latest"])
        assert entry["Size"] == image.attrs["Size"]
        assert entry["Created"] > 0
    finally:
        client.close()


def test_an_unknown_image_is_docker_s_error(cli: EngineProcess) -> None:
    result = cli.docker("history", "hist-nope")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error response from daemon: No such image: hist-nope:latest"
