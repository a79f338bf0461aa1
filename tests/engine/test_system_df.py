"""docker system df (plain and -v), its type parameter, and the registry look-ups that store
nothing: /distribution/{name}/json through docker-py, and docker search."""

from __future__ import annotations

import json
import subprocess

import docker

from tests.engine.conftest import EngineProcess
from tuibox.engine.domain.platform import go_arch


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_system_df_counts_images_containers_and_volumes(fresh_engine: EngineProcess) -> None:
    engine = fresh_engine
    _ok(engine.docker("pull", "busybox"))
    _ok(engine.docker("pull", "hello-world"))
    _ok(engine.docker("volume", "create", "df-data"))
    script = "head -c 300000 /dev/zero > /data/v; head -c 200000 /dev/zero > /w"
    _ok(engine.docker("run", "--name", "df-box", "-v", "df-data:/data", "busybox", "sh", "-c",
                      script))  # fmt: skip
    rows = {}
    for line in _ok(engine.docker("system", "df", "--format", "{{json .}}")).splitlines():
        row = json.loads(line)
        rows[row["Type"]] = row
    assert (rows["Images"]["TotalCount"], rows["Images"]["Active"]) == ("2", "1")
    assert (rows["Containers"]["TotalCount"], rows["Containers"]["Active"]) == ("1", "0")
    assert rows["Containers"]["Size"] == "200kB"
    assert (rows["Local Volumes"]["TotalCount"], rows["Local Volumes"]["Active"]) == ("1", "1")
    assert rows["Local Volumes"]["Size"] == "300kB"
    assert (rows["Build Cache"]["TotalCount"], rows["Build Cache"]["Size"]) == ("0", "0B")
    verbose = _ok(engine.docker("system", "df", "-v"))
    assert "df-data" in verbose and "df-box" in verbose and "hello-world" in verbose
    with engine.client() as api:
        only_images = api.get("/system/df", params={"type": "image"}).json()
        assert only_images["Containers"] is None and only_images["Volumes"] is None
        (box,) = [i for i in only_images["Images"] if i["RepoTags"] == ["busybox:latest"]]
        assert (box["Containers"], box["SharedSize"]) == (1, 0)
        assert only_images["LayersSize"] == sum(i["Size"] for i in only_images["Images"])
        refused = api.get("/system/df", params={"type": "bogus"})
        assert (refused.status_code, refused.json()["message"]) == (
            400, "unknown object type: bogus")  # fmt: skip


def test_registry_data_through_docker_py(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host)
    try:
        data = client.images.get_registry_data("busybox")
        (repo_digest,) = client.images.get("busybox").attrs["RepoDigests"]
        assert data.id == repo_digest.partition("@")[2]
        assert data.has_platform(f"linux/{go_arch()}")
        assert not data.has_platform("linux/s390x")
        missing = cli.docker("manifest", "inspect", "busybox:nosuchtag")
        assert missing.returncode != 0
    finally:
        client.close()


def test_search_on_a_registry_without_search_is_a_clear_error(
    cli: EngineProcess, registry: str
) -> None:
    host = registry.removeprefix("http://")
    result = cli.docker("search", f"{host}/busybox")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error response from daemon: Unexpected status code 404: the registry {host} does "
        "not support search (GET /v1/search is not served there; Docker Hub serves it)"
    )
