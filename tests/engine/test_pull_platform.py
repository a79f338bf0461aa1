"""`docker pull --platform` against a two-platform manifest list on the loopback registry,
and `--all-tags`, refused by name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.engine.conftest import EngineProcess
from tuibox.demo.images import build_demo_images
from tuibox.demo.push import push_image
from tuibox.engine.domain.platform import go_arch

pytestmark = [pytest.mark.engine]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OTHER_ARCH = "arm64" if go_arch() != "arm64" else "amd64"


@pytest.fixture(scope="module")
def multi(registry: str) -> Iterator[str]:
    """`<host>/<repo>:both`, an OCI index of busybox for this host and for OTHER_ARCH (with
    its variant, as buildx writes arm64/v8), plus an attestation entry."""
    repo = f"platform-{uuid.uuid4().hex[:6]}/box"
    ours, theirs = build_demo_images()[1], build_demo_images(OTHER_ARCH)[1]
    our_digest = push_image(registry, ours, repo, tag="ours")
    their_digest = push_image(registry, theirs, repo, tag="theirs")
    variant = {"variant": "v8"} if OTHER_ARCH == "arm64" else {}
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": ours.manifest.media_type, "digest": our_digest,
         "size": ours.manifest.size, "platform": {"os": "linux", "architecture": go_arch()}},
        {"mediaType": theirs.manifest.media_type, "digest": their_digest,
         "size": theirs.manifest.size,
         "platform": {"os": "linux", "architecture": OTHER_ARCH, **variant}},
        {"mediaType": ours.manifest.media_type, "digest": our_digest,
         "size": ours.manifest.size, "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
    ]}  # fmt: skip
    put = httpx.put(f"{registry}/v2/{repo}/manifests/both", content=json.dumps(index).encode(),
                    headers={"Content-Type": OCI_INDEX}, timeout=30)  # fmt: skip
    assert put.status_code == 201, put.text
    yield f"{registry.removeprefix('http://')}/{repo}:both"


def architecture(engine: EngineProcess, name: str) -> str:
    done = engine.docker("image", "inspect", "--format", "{{.Architecture}}", name)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pull_platform_picks_that_entry_and_the_default_is_the_hosts(
    fresh_engine: EngineProcess, multi: str
) -> None:
    engine = fresh_engine
    pulled = engine.docker("pull", "--platform", f"linux/{OTHER_ARCH}", multi)
    assert pulled.returncode == 0, pulled.stderr
    assert architecture(engine, multi) == OTHER_ARCH
    assert engine.docker("pull", multi).returncode == 0
    assert architecture(engine, multi) == go_arch()
    missing = engine.docker("pull", "--platform", "linux/s390x", multi)
    assert missing.returncode != 0
    assert "no matching manifest for linux/s390x in the manifest list entries" in missing.stderr
    refused = engine.docker("pull", "--platform", "windows/amd64", multi)
    assert refused.returncode != 0 and "windows" in refused.stderr


def test_pull_all_tags_is_refused_by_name_and_a_plain_pull_still_works(
    cli: EngineProcess,
) -> None:
    refused = cli.docker("pull", "--all-tags", "busybox")
    assert refused.returncode != 0
    assert "docker pull --all-tags) is not supported by the tuibox engine yet" in refused.stderr
    pulled = cli.docker("pull", "busybox")
    assert pulled.returncode == 0, pulled.stderr
