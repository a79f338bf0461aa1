"""Tests parsing of canned Docker JSON into the client's snake_case models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuibox.client import ContainerSummary, EngineInfo, ImageSummary, PingInfo, VersionInfo
from tuibox.widgets.registry_list import registry_rows

DATA = Path(__file__).resolve().parent.parent / "data" / "docker"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def test_container_summary_from_docker_ps_json() -> None:
    web, hello = (ContainerSummary.from_json(raw) for raw in load("containers.json"))
    assert web.name == "web"
    assert web.image == "busybox:latest"
    assert web.state == "running" and web.is_running
    assert web.status == "Up 2 minutes"
    assert web.created == 1749999880
    assert hello.state == "exited" and not hello.is_running


def test_unnamed_container_is_named_by_short_id() -> None:
    container = ContainerSummary.from_json({"Id": "ab" * 32, "Names": []})
    assert container.name == "abababababab"


def test_image_summary_tags_drop_none_placeholder() -> None:
    busybox, dangling = (ImageSummary.from_json(raw) for raw in load("images.json"))
    assert busybox.tags == ("busybox:latest", "busybox:1.36")
    assert busybox.size == 4261550
    assert dangling.tags == ()
    assert dangling.containers == -1


def test_engine_info_reads_registry_config() -> None:
    info = EngineInfo.from_json(load("info.json"))
    assert info.name == "debian-box"
    assert (info.containers, info.containers_running, info.images) == (2, 1, 2)
    assert info.registry.mirrors == ("http://127.0.0.1:5000/",)
    assert info.registry.insecure_registry_cidrs == ("::1/128", "127.0.0.0/8")
    names = [index.name for index in info.registry.index_configs]
    assert names == ["docker.io", "registry.local:5000"]
    assert info.registry.index_configs[1].secure is False


def test_engine_info_tolerates_missing_registry_config() -> None:
    info = EngineInfo.from_json({"Name": "x", "RegistryConfig": None})
    assert info.registry.mirrors == () and info.registry.index_configs == ()


def test_registry_rows_list_hub_mirror_index_and_insecure_ranges() -> None:
    rows = registry_rows(EngineInfo.from_json(load("info.json")))
    assert [(row.address, row.role) for row in rows] == [
        ("docker.io", "Docker Hub (default registry)"),
        ("http://127.0.0.1:5000/", "Docker Hub mirror"),
        ("registry.local:5000", "registry"),
        ("::1/128", "insecure range"),
        ("127.0.0.0/8", "insecure range"),
    ]
    assert rows[1].transport == "http"
    assert rows[2].transport == "http (insecure)"


def test_version_identifies_docker_and_podman() -> None:
    docker = VersionInfo.from_json(load("version_docker.json"))
    podman = VersionInfo.from_json(load("version_podman.json"))
    assert (docker.kind, docker.display_name) == ("docker", "Docker 28.2.2")
    assert docker.api_version == "1.50"
    assert (podman.kind, podman.display_name) == ("podman", "Podman 4.3.1")


def test_version_identifies_tuibox() -> None:
    raw = {"Platform": {"Name": "tuibox"}, "Components": [{"Name": "tuibox", "Version": "0.1.0"}],
           "Version": "0.1.0", "ApiVersion": "1.44"}
    assert VersionInfo.from_json(raw).display_name == "tuibox 0.1.0"


def test_ping_info_from_headers_is_case_insensitive() -> None:
    import httpx

    ping = PingInfo.from_headers(httpx.Headers({"API-VERSION": "1.44", "OSTYPE": "linux"}))
    assert ping.api_version == "1.44" and ping.os_type == "linux"
