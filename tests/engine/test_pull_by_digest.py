"""`docker pull name@sha256:…` and `name:tag@sha256:…` through the real CLI and the API,
and docker-py's image prune, system df and search against the engine."""

from __future__ import annotations

import json
import uuid

import docker
import httpx
import pytest

from tests.engine.conftest import EngineProcess
from tests.unit.fake_registry import layer_tar
from tuibox.demo.images import build_demo_images
from tuibox.demo.push import push_image

pytestmark = [pytest.mark.engine, pytest.mark.dockercli]


def test_pull_by_digest_and_by_tag_and_digest(fresh_engine: EngineProcess, registry: str) -> None:
    engine, host = fresh_engine, registry.removeprefix("http://")
    repo = f"{host}/digest-{uuid.uuid4().hex[:6]}/box"
    busybox, hello = build_demo_images()[1], build_demo_images()[0]
    digest = push_image(registry, busybox, repo.split("/", 1)[1], tag="v1")
    push_image(registry, hello, repo.split("/", 1)[1], tag="other")
    pulled = engine.docker("pull", f"{repo}@{digest}")
    assert pulled.returncode == 0, pulled.stderr
    assert f"Digest: {digest}" in pulled.stdout
    listed = engine.docker("images", "--digests", "--format", "{{.Repository}} {{.Digest}}")
    assert f"{repo} {digest}" in listed.stdout.splitlines()
    ran = engine.docker("run", "--rm", f"{repo}@{digest}", "echo", "pinned")
    assert ran.stdout.strip() == "pinned", ran.stderr
    assert engine.docker("rmi", f"{repo}@{digest}").returncode == 0
    # a tag and a digest: the digest decides (the tag `other` names hello-world)
    transport = httpx.HTTPTransport(uds=engine.host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://engine", timeout=60) as api:
        both = api.post("/images/create", params={"fromImage": f"{repo}:other@{digest}"})
    assert both.status_code == 200, both.text
    assert f"Digest: {digest}" in both.text
    inspect = engine.docker("image", "inspect", "--format", "{{.Id}}", f"{repo}@{digest}")
    assert inspect.stdout.strip() == busybox.image_id
    wrong = engine.docker("pull", f"{repo}@sha256:{'0' * 64}")
    assert wrong.returncode != 0 and "not found" in wrong.stderr


def imported_id(api: docker.APIClient, repository: str, content: bytes) -> str:
    answer = api.import_image_from_data(layer_tar({"file": content}), repository=repository,
                                        tag="v")  # fmt: skip
    return str(json.loads(answer.strip().splitlines()[-1])["status"])


def test_docker_py_prune_df_and_search(fresh_engine: EngineProcess, registry: str) -> None:
    client = docker.DockerClient(base_url=fresh_engine.host)
    try:
        first = imported_id(client.api, "pruned", b"one")
        second = imported_id(client.api, "pruned", b"two")  # takes the tag: first dangles
        df = client.df()
        assert {image["Id"] for image in df["Images"]} >= {first, second}
        assert df["LayersSize"] > 0
        pruned = client.images.prune()
        deleted = [entry.get("Deleted") for entry in pruned["ImagesDeleted"] or []]
        assert first in deleted and second not in deleted
        assert client.images.get("pruned:v").id == second
        host = registry.removeprefix("http://")
        with pytest.raises(docker.errors.NotFound, match="does not support search"):
            client.images.search(f"{host}/busybox")
    finally:
        client.close()
