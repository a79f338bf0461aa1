"""The TUI's client against the real engine: a pull's progress events, tag, push with its
events, a pushed tag read back through the browse endpoint, network connect/disconnect."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from tests.engine.conftest import EngineProcess
from tuibox.client.client import EngineClient
from tuibox.client.errors import ConflictError
from tuibox.client.progress import TransferProgress

pytestmark = [pytest.mark.engine, pytest.mark.dockercli]


@pytest.fixture
def names(cli: EngineProcess, registry: str) -> Iterator[dict[str, str]]:
    """A repository, a container and a network of the test's own, removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    made = {"repo": f"{registry.removeprefix('http://')}/client-{suffix}",
            "container": f"client-{suffix}", "network": f"client-net-{suffix}"}  # fmt: skip
    yield made
    cli.docker("rm", "-f", made["container"])
    cli.docker("network", "rm", made["network"])
    for tagged in cli.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split():
        if tagged.startswith(made["repo"]):
            cli.docker("rmi", tagged)


def test_pull_tag_and_push_through_the_client(
    cli: EngineProcess, names: dict[str, str]
) -> None:
    cli.docker("rmi", "-f", "hello-world")  # pulled afresh below, even if a test left it in use
    repo = names["repo"]

    async def scenario() -> None:
        client = EngineClient(str(cli.socket))
        try:
            pulled = TransferProgress()
            async for event in client.pull_image("hello-world"):
                pulled.apply(event, 0.0)
            assert pulled.error == ""
            assert pulled.header == ["latest: Pulling from library/hello-world"]
            assert pulled.footer[-1] == "Status: Downloaded newer image for hello-world:latest"
            assert pulled.layers and all(layer.done for layer in pulled.layers.values())
            await client.tag_image("hello-world", f"{repo}:v1")
            pushed = TransferProgress()
            async for event in client.push_image(f"{repo}:v1"):
                pushed.apply(event, 0.0)
            assert pushed.error == "", pushed.error
            assert pushed.header == [f"The push refers to repository [{repo}]"]
            assert {layer.phase for layer in pushed.layers.values()} == {"Pushed"}
            assert pushed.aux is not None and pushed.aux["Tag"] == "v1"
            assert pushed.footer[-1].startswith("v1: digest: sha256:")
            refused = [e async for e in client.push_image(f"{repo}:nope")]
            assert refused[-1].error == f"tag does not exist: {repo}:nope"  # after the first line
            page = await client.registry_tags(repo.split("/", 1)[0], repo.split("/", 1)[1])
            (tag,) = page.tags
            assert (tag.tag, tag.digest) == ("v1", pushed.aux["Digest"])
            assert tag.size > 0 and tag.platforms and tag.created is not None
        finally:
            await client.close()

    asyncio.run(scenario())


def test_connect_and_disconnect_through_the_client(
    cli: EngineProcess, names: dict[str, str]
) -> None:
    assert cli.docker("network", "create", "--subnet", "10.77.0.0/24",
                      names["network"]).returncode == 0  # fmt: skip
    started = cli.docker("run", "-d", "--name", names["container"], "busybox", "sleep", "300")
    assert started.returncode == 0, started.stderr

    async def scenario() -> None:
        client = EngineClient(str(cli.socket))
        try:
            await client.connect_network(names["network"], names["container"],
                                         aliases=["db"], ipv4="10.77.0.9")  # fmt: skip
            with pytest.raises(ConflictError):
                await client.connect_network(names["network"], names["container"])
            network = await client.inspect_network(names["network"])
            assert [e.ipv4_address for e in network.containers] == ["10.77.0.9/24"]
            await client.disconnect_network(names["network"], names["container"])
            assert (await client.inspect_network(names["network"])).containers == ()
        finally:
            await client.close()

    asyncio.run(scenario())
