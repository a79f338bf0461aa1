"""docker save and docker load on the real engine: the docker CLI, skopeo and docker-py."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.engine.conftest import EngineProcess


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _image_id(engine: EngineProcess, name: str) -> str:
    return _ok(engine.docker("image", "inspect", "--format", "{{.Id}}", name)).strip()


def _stored(engine: EngineProcess) -> dict[str, list[str]]:
    """What the engine keeps on disk: layer dirs, blobs and image records."""
    data = engine.data_root
    return {
        "layers": sorted(p.name for p in (data / "layers").iterdir()),
        "blobs": sorted(p.name for p in (data / "content" / "sha256").iterdir()),
        "images": sorted(p.name for p in (data / "images").iterdir()),
    }


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}  # type: ignore[union-attr]


def _load_file(engine: EngineProcess, archive: Path) -> subprocess.CompletedProcess[str]:
    return engine.docker("load", "-i", str(archive))


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_save_piped_into_load_after_rmi(fresh_engine: EngineProcess) -> None:
    engine = fresh_engine
    _ok(engine.docker("pull", "busybox"))
    image_id = _image_id(engine, "busybox")
    env = engine.docker_env()
    saved = subprocess.run(["docker", "save", "busybox"], env=env, capture_output=True,
                           timeout=120, check=True).stdout  # fmt: skip
    _ok(engine.docker("rmi", "busybox"))
    assert _stored(engine)["layers"] == []
    loaded = subprocess.run(["docker", "load"], input=saved, env=env, capture_output=True,
                            timeout=120, check=False)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.decode().strip().splitlines()[-1] == "Loaded image: busybox:latest"
    assert _image_id(engine, "busybox") == image_id
    # no layer blob is kept: the tar-split rebuilds the layer, and the save comes out the same
    assert _stored(engine)["blobs"] == [image_id.removeprefix("sha256:")]
    again = subprocess.run(["docker", "save", "busybox"], env=env, capture_output=True,
                           timeout=120, check=True).stdout  # fmt: skip
    assert again == saved
    assert _ok(engine.docker("run", "--rm", "busybox", "echo", "round trip")) == "round trip\n"
    _ok(engine.docker("rmi", "busybox"))
    unzipped = subprocess.run(["docker", "load"], input=gzip.compress(saved), env=env,
                              capture_output=True, timeout=120, check=False)  # fmt: skip
    assert unzipped.returncode == 0, unzipped.stderr  # docker save | gzip | docker load
    assert _image_id(engine, "busybox") == image_id


def test_images_sharing_a_layer_save_to_one_tar_and_load_back(
    cli: EngineProcess, workdir: Path
) -> None:
    _ok(cli.docker("run", "--name", "sl-share", "busybox", "sh", "-c", "echo made > /made"))
    try:
        _ok(cli.docker("commit", "sl-share", "sl-derived:1"))
    finally:
        cli.docker("rm", "-f", "sl-share")
    _ok(cli.docker("tag", "busybox", "sl-base:1"))
    ids = {name: _image_id(cli, name) for name in ("sl-base:1", "sl-derived:1")}
    archive = workdir / "two.tar"
    _ok(cli.docker("save", "-o", str(archive), "sl-base:1", "sl-derived:1"))
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    assert [entry["RepoTags"] for entry in manifest] == [["sl-base:1"], ["sl-derived:1"]]
    base_layers, derived_layers = (entry["Layers"] for entry in manifest)
    assert derived_layers[0] == base_layers[0] and len(derived_layers) == 2
    for layer in derived_layers:  # each layer once, uncompressed, named by its DiffID
        assert "blobs/sha256/" + hashlib.sha256(members[layer]).hexdigest() == layer
    assert json.loads(members["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(members["index.json"])
    assert {m["annotations"]["io.containerd.image.name"] for m in index["manifests"]} == {
        "docker.io/library/sl-base:1", "docker.io/library/sl-derived:1"}  # fmt: skip
    _ok(cli.docker("rmi", "sl-base:1", "sl-derived:1"))
    out = _ok(_load_file(cli, archive))
    assert out.splitlines()[-2:] == ["Loaded image: sl-base:1", "Loaded image: sl-derived:1"]
    try:
        assert {name: _image_id(cli, name) for name in ids} == ids
        assert _ok(cli.docker("run", "--rm", "sl-derived:1", "cat", "/made")) == "made\n"
    finally:
        cli.docker("rmi", "sl-base:1", "sl-derived:1")


def test_a_skopeo_docker_archive_loads_and_runs(
    cli: EngineProcess, registry: str, workdir: Path
) -> None:
    if shutil.which("skopeo") is None:  # scripts/install-deps.sh --dev installs it
        (pytest.fail if os.environ.get("CI") else pytest.skip)("this test needs skopeo")
    archive = workdir / "skopeo.tar"
    host = registry.removeprefix("http://")
    copied = subprocess.run(
        ["skopeo", "copy", "--insecure-policy", "--src-tls-verify=false",
         f"docker://{host}/library/busybox:latest", f"docker-archive:{archive}:sl-skopeo:1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    try:
        assert _ok(_load_file(cli, archive)).splitlines()[-1] == "Loaded image: sl-skopeo:1"
        assert _ok(cli.docker("run", "--rm", "sl-skopeo:1", "echo", "skopeo")) == "skopeo\n"
    finally:
        cli.docker("rmi", "sl-skopeo:1")


def _legacy_archive(oci_archive: Path, target: Path, tag: str) -> None:
    """The pre-25 layout, built by hand: <id>/layer.tar (gzip-compressed here), <hex>.json."""
    members = _members(oci_archive)
    (entry,) = json.loads(members["manifest.json"])
    config = members[entry["Config"]]
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_names = []
    files = {config_name: config}
    for number, layer in enumerate(entry["Layers"]):
        layer_id = hashlib.sha256(f"v1 layer {number}".encode()).hexdigest()
        files[f"{layer_id}/VERSION"] = b"1.0"
        files[f"{layer_id}/json"] = json.dumps({"id": layer_id}).encode()
        files[f"{layer_id}/layer.tar"] = gzip.compress(members[layer], mtime=0)
        layer_names.append(f"{layer_id}/layer.tar")
    name, _, version = tag.partition(":")
    files["manifest.json"] = json.dumps(
        [{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]).encode()
    files["repositories"] = json.dumps({name: {version: layer_names[-1][:64]}}).encode()
    with tarfile.open(target, "w") as tar:
        for member_name, data in files.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_legacy_layout_tar_with_a_gzipped_layer_loads(
    fresh_engine: EngineProcess, workdir: Path
) -> None:
    engine = fresh_engine
    _ok(engine.docker("pull", "busybox"))
    oci, legacy = workdir / "oci.tar", workdir / "legacy.tar"
    _ok(engine.docker("save", "-o", str(oci), "busybox"))
    _legacy_archive(oci, legacy, "sl-legacy:1")
    _ok(engine.docker("rmi", "busybox"))
    assert _ok(_load_file(engine, legacy)).splitlines()[-1] == "Loaded image: sl-legacy:1"
    assert _ok(engine.docker("run", "--rm", "sl-legacy:1", "echo", "legacy")) == "legacy\n"


def _refused(engine: EngineProcess, archive: Path, expected: str) -> None:
    before = _stored(engine)
    result = _load_file(engine, archive)
    assert result.returncode == 1
    assert expected in result.stderr, result.stderr
    assert _stored(engine) == before


def test_what_is_not_a_whole_image_archive_is_refused_and_leaves_nothing(
    fresh_engine: EngineProcess, workdir: Path
) -> None:
    engine = fresh_engine
    _ok(engine.docker("pull", "busybox"))
    good = workdir / "good.tar"
    _ok(engine.docker("save", "-o", str(good), "busybox"))
    _ok(engine.docker("rmi", "busybox"))
    plain = workdir / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    _refused(engine, plain, "no manifest.json in it; this is not a docker save image archive")
    members = _members(good)
    (entry,) = json.loads(members["manifest.json"])
    other_layer = io.BytesIO()
    with tarfile.open(fileobj=other_layer, mode="w") as tar:
        info = tarfile.TarInfo("other")
        tar.addfile(info, io.BytesIO(b""))
    wrong = workdir / "wrong.tar"
    with tarfile.open(good) as source, tarfile.open(wrong, "w") as tar:
        for member in source:
            data = source.extractfile(member).read() if member.isreg() else b""  # type: ignore[union-attr]
            if member.name == entry["Layers"][0]:
                data = other_layer.getvalue()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    _refused(engine, wrong, "wrong diff id")
    truncated = workdir / "truncated.tar"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(engine, truncated, "invalid archive")
    assert engine.docker("image", "inspect", "busybox").returncode == 1


def test_docker_py_save_and_load(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host)
    try:
        image = client.images.get("busybox")
        image.tag("sl-py", "1")
        archive = b"".join(client.images.get("sl-py:1").save(named="sl-py:1"))
        client.images.remove("sl-py:1")
        (loaded,) = client.images.load(archive)
        assert loaded.id == image.id
        assert "sl-py:1" in loaded.tags
    finally:
        cli.docker("rmi", "sl-py:1")
        client.close()


def test_an_image_saved_by_id_loads_untagged_and_names_are_required(
    cli: EngineProcess, workdir: Path
) -> None:
    image_id = _image_id(cli, "busybox")
    archive = workdir / "by-id.tar"
    _ok(cli.docker("save", "-o", str(archive), image_id[len("sha256:"):][:12]))
    (entry,) = json.loads(_members(archive)["manifest.json"])
    assert entry["RepoTags"] is None
    assert _ok(_load_file(cli, archive)).splitlines()[-1] == f"Loaded image ID: {image_id}"
    with cli.client() as api:
        refused = api.get("/images/get")
        assert refused.status_code == 400
        assert refused.json()["message"] == (
            "no image names given: pass at least one names parameter")  # fmt: skip
        platform = api.get("/images/busybox/get", params={"platform": "linux/amd64"})
        assert platform.status_code == 400 and "platform" in platform.json()["message"]


def test_loading_moves_a_tag_off_another_image_as_dockerd_says(
    cli: EngineProcess, workdir: Path
) -> None:
    _ok(cli.docker("pull", "hello-world"))
    _ok(cli.docker("tag", "busybox", "sl-move:1"))
    archive = workdir / "move.tar"
    _ok(cli.docker("save", "-o", str(archive), "sl-move:1"))
    _ok(cli.docker("tag", "hello-world", "sl-move:1"))
    try:
        old = _image_id(cli, "hello-world")
        assert _ok(_load_file(cli, archive)).splitlines()[-2:] == [
            f"The image sl-move:1 already exists, renaming the old one with ID {old} to "
            "empty string",
            "Loaded image: sl-move:1",
        ]
        assert _image_id(cli, "sl-move:1") == _image_id(cli, "busybox")
    finally:
        cli.docker("rmi", "sl-move:1")


def test_an_imported_foreign_tar_saves_as_the_same_layer(
    engine: EngineProcess, workdir: Path
) -> None:
    """A tar in an order and with headers the engine's own writer would not produce: the
    tar-split kept at import gives it back byte for byte, so its DiffID holds."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in ("zeta.txt", "alpha.txt", "dir/" + "n" * 120 + ".txt"):
            data = f"{name}\n".encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uname = len(data), 1_234_567_890, "someone"
            tar.addfile(info, io.BytesIO(data))
    source = workdir / "foreign.tar"
    source.write_bytes(raw.getvalue())
    _ok(engine.docker("import", str(source), "foreign:1"))
    saved = workdir / "saved.tar"
    _ok(engine.docker("save", "-o", str(saved), "foreign:1"))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    assert _members(saved)[f"blobs/sha256/{diff_id.removeprefix('sha256:')}"] == raw.getvalue()
    _ok(engine.docker("rmi", "foreign:1"))


def test_skopeo_reads_what_docker_save_wrote(cli: EngineProcess, workdir: Path) -> None:
    """An outside reader of docker-archive (containers/image, which checks each layer
    against its digest as it copies) takes the engine's tar as it is."""
    if shutil.which("skopeo") is None:  # scripts/install-deps.sh --dev installs it
        (pytest.fail if os.environ.get("CI") else pytest.skip)("this test needs skopeo")
    saved, target = workdir / "saved.tar", workdir / "oci"
    _ok(cli.docker("save", "-o", str(saved), "busybox"))
    copied = subprocess.run(
        ["skopeo", "copy", "--insecure-policy", f"docker-archive:{saved}", f"oci:{target}:box"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    (entry,) = json.loads((target / "index.json").read_text())["manifests"]
    manifest = json.loads(_blob(target, entry["digest"]))
    config = json.loads(_blob(target, manifest["config"]["digest"]))
    layers = _ok(cli.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", "busybox"))
    assert config["rootfs"]["diff_ids"] == json.loads(layers)
    assert len(manifest["layers"]) == len(config["rootfs"]["diff_ids"])


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()
