"""docker push from the engine to Debian's docker-registry on loopback, through the real CLI
and docker-py: pushed, already there, mounted from another repository, committed images, and
an image pulled with a zstd layer."""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator

import docker
import httpx
import pytest
import zstandard

from tests.engine.conftest import EngineProcess
from tuibox.demo.images import Blob, BuiltImage, build_demo_images
from tuibox.demo.push import push_image

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"

pytestmark = [pytest.mark.engine, pytest.mark.dockercli]


@pytest.fixture
def repo(cli: EngineProcess, registry: str) -> Iterator[str]:
    """A repository name of the test's own on the loopback registry; its local tags go."""
    name = f"{registry.removeprefix('http://')}/push-{uuid.uuid4().hex[:8]}"
    yield name
    listed = cli.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    for tagged in listed:
        if tagged.startswith(name.rsplit("/", 1)[0] + "/push-"):
            cli.docker("rmi", tagged)


def push(cli: EngineProcess, name: str) -> str:
    result = cli.docker("push", name)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_push_then_pull_back_and_run(cli: EngineProcess, repo: str) -> None:
    assert cli.docker("tag", "busybox", f"{repo}:v1").returncode == 0
    out = push(cli, f"{repo}:v1")
    assert f"The push refers to repository [{repo}]" in out
    assert ": Pushed" in out
    digest_line = next(line for line in out.splitlines() if line.startswith("v1: digest: "))
    digest = digest_line.split()[2]
    inspect = cli.docker("image", "inspect", "--format", "{{json .RepoDigests}}", f"{repo}:v1")
    assert f"{repo}@{digest}" in inspect.stdout
    assert cli.docker("rmi", f"{repo}:v1").returncode == 0
    pulled = cli.docker("pull", f"{repo}:v1")
    assert pulled.returncode == 0, pulled.stderr
    assert f"Digest: {digest}" in pulled.stdout
    ran = cli.docker("run", "--rm", f"{repo}:v1", "echo", "pushed and back")
    assert ran.stdout.strip() == "pushed and back", ran.stderr


def test_pushing_again_finds_the_layers_there(cli: EngineProcess, repo: str) -> None:
    assert cli.docker("tag", "busybox", f"{repo}:again").returncode == 0
    first = push(cli, f"{repo}:again")
    second = push(cli, f"{repo}:again")
    assert ": Layer already exists" in second and ": Pushed" not in second
    assert first.splitlines()[-1] == second.splitlines()[-1]  # the same digest and size


def test_a_second_repository_mounts_the_layers(cli: EngineProcess, repo: str) -> None:
    assert cli.docker("tag", "busybox", f"{repo}:src").returncode == 0
    push(cli, f"{repo}:src")
    other = f"{repo}-copy"
    assert cli.docker("tag", "busybox", f"{other}:v1").returncode == 0
    out = push(cli, f"{other}:v1")
    source = repo.split("/", 1)[1]
    assert f": Mounted from {source}" in out, out


def test_push_of_a_committed_image(cli: EngineProcess, repo: str) -> None:
    name = f"commit-{uuid.uuid4().hex[:6]}"
    made = cli.docker("run", "--name", name, "busybox", "sh", "-c",
                      "echo committed > /data.txt && rm /bin/ls")  # fmt: skip
    assert made.returncode == 0, made.stderr
    try:
        assert cli.docker("commit", name, f"{repo}:committed").returncode == 0
    finally:
        cli.docker("rm", name)
    out = push(cli, f"{repo}:committed")
    assert out.count(": Pushed") == 2, out  # busybox's layer (not pushed before) and the new
    assert cli.docker("rmi", f"{repo}:committed").returncode == 0
    assert cli.docker("pull", f"{repo}:committed").returncode == 0
    ran = cli.docker("run", "--rm", f"{repo}:committed", "sh", "-c",
                     "cat /data.txt; test -e /bin/ls || echo gone")  # fmt: skip
    assert ran.stdout.split() == ["committed", "gone"], ran.stderr
    again = push(cli, f"{repo}:committed")
    assert again.count(": Layer already exists") == 2, again


def test_pushing_what_does_not_exist_locally(cli: EngineProcess, repo: str) -> None:
    result = cli.docker("push", f"{repo}:nothing")
    assert result.returncode != 0
    assert f"An image does not exist locally with the tag: {repo}" in result.stderr + result.stdout


def test_docker_py_push_stream(cli: EngineProcess, repo: str) -> None:
    assert cli.docker("tag", "busybox", f"{repo}:py").returncode == 0
    client = docker.DockerClient(base_url=cli.host)
    try:
        messages = list(client.images.push(repo, tag="py", stream=True, decode=True))
    finally:
        client.close()
    assert messages[0] == {"status": f"The push refers to repository [{repo}]"}
    statuses = [m.get("status") for m in messages]
    assert "Preparing" in statuses and "Pushed" in statuses
    pushing = [m for m in messages if m.get("status") == "Pushing"]
    assert pushing and all(0 < m["progressDetail"]["current"] <= m["progressDetail"]["total"]
                           for m in pushing)  # fmt: skip
    assert pushing[-1]["progressDetail"]["current"] == pushing[-1]["progressDetail"]["total"]
    aux = messages[-1]["aux"]
    assert aux["Tag"] == "py" and aux["Digest"].startswith("sha256:") and aux["Size"] > 0
    assert messages[-2]["status"] == f"py: digest: {aux['Digest']} size: {aux['Size']}"


def zstd_busybox() -> BuiltImage:
    """busybox as an OCI image whose one layer is zstd; a label makes its ID its own."""
    base = build_demo_images(manifest_format="oci")[1]
    plain = gzip.decompress(base.layers[0].data)
    layer = Blob(OCI_ZSTD_LAYER, zstandard.ZstdCompressor().compress(plain))
    config_doc = json.loads(base.config.data)
    config_doc["config"]["Labels"] = {"tuibox.test": "zstd"}
    config = Blob(base.config.media_type, json.dumps(config_doc).encode())
    manifest = Blob(base.manifest.media_type, json.dumps({
        "schemaVersion": 2, "mediaType": base.manifest.media_type,
        "config": {"mediaType": config.media_type, "size": config.size, "digest": config.digest},
        "layers": [{"mediaType": layer.media_type, "size": layer.size, "digest": layer.digest}],
    }).encode())  # fmt: skip
    return BuiltImage("zbox", "v1", (layer,), base.diff_ids, config, manifest)


def test_a_zstd_layer_pulls_runs_and_is_pushed_again_as_gzip(
    cli: EngineProcess, repo: str, registry: str
) -> None:
    image = zstd_busybox()
    host, path = repo.split("/", 1)
    push_image(registry, image, f"{path}-zstd", tag="v1")
    pulled = cli.docker("pull", f"{repo}-zstd:v1")
    assert pulled.returncode == 0, pulled.stderr
    ran = cli.docker("run", "--rm", f"{repo}-zstd:v1", "echo", "from zstd")
    assert ran.stdout.strip() == "from zstd", ran.stderr
    assert cli.docker("tag", f"{repo}-zstd:v1", f"{repo}:gz").returncode == 0
    out = push(cli, f"{repo}:gz")
    # the registry holds the zstd blob in the source repository; a schema2 manifest cannot
    # name it, so the layer is compressed to gzip here instead of mounted from there
    assert ": Pushed" in out and "Mounted from" not in out, out
    manifest = httpx.get(f"{registry}/v2/{path}/manifests/gz",
                         headers={"Accept": DOCKER_MANIFEST}, timeout=30).json()  # fmt: skip
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == DOCKER_LAYER
    blob = httpx.get(f"{registry}/v2/{path}/blobs/{layer['digest']}", timeout=30,
                     follow_redirects=True).content  # fmt: skip
    assert "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest() == image.diff_ids[0]
    assert host == registry.removeprefix("http://")
