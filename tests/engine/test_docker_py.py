"""docker-py (from PyPI) against tuibox's engine: the same lifecycle through Python."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest
from docker.errors import APIError, ImageNotFound, NotFound

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


@pytest.fixture
def client(engine: EngineProcess) -> Iterator[docker.DockerClient]:
    docker_client = docker.DockerClient(base_url=engine.host, version="auto", timeout=60)
    try:
        yield docker_client
    finally:
        docker_client.close()


def test_version_and_ping(client: docker.DockerClient) -> None:
    assert client.ping() is True
    version = client.version()
    assert version["ApiVersion"] == "1.44"
    assert any(c["Name"] == "Engine" for c in version["Components"])


def test_run_returns_output_and_removes(client: docker.DockerClient) -> None:
    client.images.pull("hello-world", tag="latest")
    output = client.containers.run("hello-world", remove=True)
    assert b"Hello from tuibox!" in output
    assert not [
        c for c in client.containers.list(all=True) if c.image.tags == ["hello-world:latest"]
    ]


def test_detached_lifecycle(client: docker.DockerClient) -> None:
    client.images.pull("busybox", tag="latest")
    container = client.containers.run(
        "busybox", ["sh", "-c", "echo ready; sleep 300"], detach=True, name="py-sleeper"
    )
    try:
        container.reload()
        assert container.status == "running"
        assert container.name == "py-sleeper"
        listed = client.containers.list(filters={"name": "py-sleeper"})
        assert [c.id for c in listed] == [container.id]
        container.stop(timeout=1)
        container.reload()
        assert container.status == "exited"
        assert container.logs() == b"ready\n"
        container.start()
        container.kill()
        container.reload()
        assert container.attrs["State"]["Running"] is False
        assert container.attrs["State"]["ExitCode"] == 137
    finally:
        container.remove(force=True)
    with pytest.raises(NotFound):
        client.containers.get("py-sleeper")


def test_errors_map_to_docker_py_exceptions(client: docker.DockerClient) -> None:
    with pytest.raises(ImageNotFound):
        client.images.get("never-pulled:nope")
    with pytest.raises(NotFound):
        client.containers.get("no-such-container")
    container = client.containers.run("busybox", ["sleep", "300"], detach=True)
    try:
        with pytest.raises(APIError) as excinfo:
            container.remove()
        assert excinfo.value.status_code == 409
        assert "stop the container before" in str(excinfo.value)
    finally:
        container.remove(force=True)
