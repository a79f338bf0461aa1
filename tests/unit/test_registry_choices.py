"""What the registry client chooses: the manifest cap, an index entry by variant past an
attestation entry, Retry-After's wait, and where a push to a Docker Hub name goes."""

from __future__ import annotations

import datetime
import email.utils
import json

import httpx
import pytest

from tests.unit.fake_registry import FakeRegistry, Network
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.platform import Platform
from tuibox.engine.domain.reference import parse_reference
from tuibox.engine.registry.client import RegistryClient
from tuibox.engine.registry.endpoints import DOCKER_HUB_API, push_endpoints
from tuibox.engine.registry.manifests import (
    DOCKER_MANIFEST,
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    select_platform,
)
from tuibox.engine.registry.retries import MAX_RETRY_AFTER, retry_delay


async def test_a_manifest_past_the_cap_is_refused() -> None:
    registry = FakeRegistry()
    huge = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                       "pad": "x" * MAX_MANIFEST_BYTES}).encode()  # fmt: skip
    registry.add_document("x", "huge", huge, DOCKER_MANIFEST)
    client = RegistryClient(transport=Network({"127.0.0.1:5000": registry}).transport())
    with pytest.raises(InvalidArgument) as refused:
        await client.resolve(parse_reference("127.0.0.1:5000/x:huge"))
    assert str(refused.value) == f"registry manifest is larger than {MAX_MANIFEST_BYTES} bytes"


def entry(digest: str, platform: dict[str, str], **extra: object) -> dict[str, object]:
    return {"mediaType": DOCKER_MANIFEST, "digest": "sha256:" + digest * 64, "size": 1,
            "platform": platform, **extra}  # fmt: skip


INDEX = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    entry("a", {"os": "unknown", "architecture": "unknown"},
          annotations={"vnd.docker.reference.type": "attestation-manifest"}),
    entry("6", {"os": "linux", "architecture": "arm", "variant": "v6"}),
    entry("7", {"os": "linux", "architecture": "arm", "variant": "v7"}),
    entry("8", {"os": "linux", "architecture": "arm64", "variant": "v8"}),
]}  # fmt: skip


@pytest.mark.parametrize(("wanted", "digit"), [
    (Platform("linux", "arm", "v7"), "7"),
    (Platform("linux", "arm", "v6"), "6"),
    (Platform("linux", "arm"), "6"),  # no variant asked: the first of that architecture
    (Platform("linux", "arm64"), "8"),
])  # fmt: skip
def test_an_index_entry_is_chosen_by_variant_and_never_the_attestation(
    wanted: Platform, digit: str
) -> None:
    chosen = select_platform(INDEX, "x", wanted)
    assert chosen.digest == "sha256:" + digit * 64


def answer(status: int, method: str = "GET", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers,
                          request=httpx.Request(method, "http://127.0.0.1:5000/v2/"))  # fmt: skip


def test_retry_after_is_waited_as_the_registry_says_up_to_the_cap() -> None:
    assert retry_delay(answer(429, **{"Retry-After": "7"}), 0) == 7.0
    assert retry_delay(answer(503, **{"Retry-After": "100000"}), 0) == MAX_RETRY_AFTER
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    dated = retry_delay(answer(503, **{"Retry-After": email.utils.format_datetime(soon)}), 0)
    assert dated is not None and 25 <= dated <= 30
    assert retry_delay(answer(503), 0) == 0.5 and retry_delay(answer(503), 2) == 2.0
    assert retry_delay(answer(503, "PUT", **{"Retry-After": "1"}), 0) is None


def test_a_push_to_a_hub_name_goes_to_docker_hub_itself() -> None:
    """Push endpoints are made without the mirrors (push_endpoints takes none): a Hub name
    goes to Docker Hub's API, also when other hosts are insecure."""
    hub = push_endpoints(parse_reference("busybox"), ("127.0.0.1:5001",))
    assert [(e.base_url, e.is_mirror, e.tls_verify) for e in hub] == [(DOCKER_HUB_API, False, True)]
