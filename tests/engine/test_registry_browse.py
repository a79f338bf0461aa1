"""Browsing the loopback registry through the engine: the catalog page by page and a
repository's tags with digest, size, platforms and age (a manifest list of two platforms too),
and the refusals in clear words."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

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
def seeded(registry: str) -> Iterator[dict[str, Any]]:
    """Repositories of this module's own: five of one prefix, and one with a plain tag and a
    two-platform manifest list (an OCI index, as buildx pushes)."""
    prefix = f"browse-{uuid.uuid4().hex[:6]}"
    host_image, other_image = build_demo_images()[1], build_demo_images(OTHER_ARCH)[1]
    names = [f"{prefix}/app{i}" for i in range(5)]
    for name in names:
        push_image(registry, host_image, name, tag="v1")
    multi = f"{prefix}/multi"
    plain_digest = push_image(registry, host_image, multi, tag="plain")
    other_digest = push_image(registry, other_image, multi, tag="other")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": host_image.manifest.media_type, "digest": plain_digest,
         "size": len(host_image.manifest.data),
         "platform": {"os": "linux", "architecture": go_arch()}},
        {"mediaType": other_image.manifest.media_type, "digest": other_digest,
         "size": len(other_image.manifest.data),
         "platform": {"os": "linux", "architecture": OTHER_ARCH,
                      **({"variant": "v8"} if OTHER_ARCH == "arm64" else {})}},
        {"mediaType": host_image.manifest.media_type, "digest": plain_digest,
         "size": len(host_image.manifest.data),
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
    ]}  # fmt: skip
    body = json.dumps(index).encode()
    put = httpx.put(f"{registry}/v2/{multi}/manifests/both", content=body,
                    headers={"Content-Type": OCI_INDEX}, timeout=30)  # fmt: skip
    assert put.status_code == 201, put.text
    size = host_image.config.size + sum(layer.size for layer in host_image.layers)
    yield {"prefix": prefix, "names": names, "multi": multi, "size": size,
           "index_digest": put.headers["Docker-Content-Digest"], "plain_digest": plain_digest}


def get(engine: EngineProcess, path: str, **params: Any) -> httpx.Response:
    with engine.client() as api:
        return api.get(path, params=params)


def host_of(registry: str) -> str:
    return registry.removeprefix("http://")


def test_the_catalog_pages_through_every_repository(
    engine: EngineProcess, registry: str, seeded: dict[str, Any]
) -> None:
    seen: list[str] = []
    last = None
    pages = 0
    while True:
        params = {"n": 3, **({"last": last} if last else {})}
        response = get(engine, f"/tuibox/v1/registries/{host_of(registry)}/catalog", **params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["Repositories"]) <= 3
        seen += page["Repositories"]
        pages += 1
        last = page["Next"]
        if last is None:
            break
        assert last == page["Repositories"][-1]
    assert pages >= 3
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {*seeded["names"], seeded["multi"], "library/busybox"} <= set(seen)


def test_tags_carry_digest_size_platforms_and_created(
    engine: EngineProcess, registry: str, seeded: dict[str, Any]
) -> None:
    response = get(engine, f"/tuibox/v1/registries/{host_of(registry)}/repositories/"
                           f"{seeded['multi']}/tags")  # fmt: skip
    assert response.status_code == 200, response.text
    tags = {entry["Tag"]: entry for entry in response.json()["Tags"]}
    assert sorted(tags) == ["both", "other", "plain"]
    both, plain, other = tags["both"], tags["plain"], tags["other"]
    variant = "/v8" if OTHER_ARCH == "arm64" else ""
    assert both["Platforms"] == [f"linux/{go_arch()}", f"linux/{OTHER_ARCH}{variant}"]
    assert both["Digest"] == seeded["index_digest"]
    assert both["Size"] == seeded["size"] == plain["Size"]  # the host's platform, as a pull
    assert plain["Platforms"] == [f"linux/{go_arch()}"]
    assert plain["Digest"] == seeded["plain_digest"]
    assert other["Platforms"] == [f"linux/{OTHER_ARCH}"]
    for entry in tags.values():
        assert entry["Error"] == ""
        assert isinstance(entry["Created"], str) and entry["Created"].endswith("Z")


def test_tags_of_an_unknown_repository_and_bad_input_are_refused_clearly(
    engine: EngineProcess, registry: str
) -> None:
    host = host_of(registry)
    missing = get(engine, f"/tuibox/v1/registries/{host}/repositories/nobody/here/tags")
    assert missing.status_code == 404
    assert missing.json()["message"] == (f"registry {host} cannot list the tags of nobody/here: "
                                         "repository not found (HTTP 404)")
    unknown = get(engine, f"/tuibox/v1/registries/{host}/catalog", page="2")
    assert unknown.status_code == 400
    assert unknown.json()["message"] == ("unknown query parameter for GET "
                                         "/tuibox/v1/registries/{host}/catalog: page")
    too_many = get(engine, f"/tuibox/v1/registries/{host}/catalog", n="5000")
    assert too_many.json()["message"] == "invalid value for n: 5000 is not between 1 and 1000"
    bad_host = get(engine, "/tuibox/v1/registries/bad host!/catalog")
    assert bad_host.status_code == 400
    assert bad_host.json()["message"] == ("invalid registry address 'bad host!': expected "
                                          "host[:port]")
    tagged = get(engine, f"/tuibox/v1/registries/{host}/repositories/library/busybox:1/tags")
    assert tagged.status_code == 400 and "without a tag or digest" in tagged.json()["message"]


def test_a_registry_that_does_not_answer_is_unavailable(engine: EngineProcess) -> None:
    response = get(engine, "/tuibox/v1/registries/127.0.0.1:9/catalog")
    assert response.status_code == 503
    assert response.json()["message"].startswith("registry 127.0.0.1:9 is unreachable: ")
