"""FakeRegistryCalls: the fake engine's pull, push, tag, prune, login and browse calls, and its
network connect/disconnect (a mixin of FakeEngineClient)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from tuibox.client.errors import ConflictError, NotFoundError, UnauthorizedError
from tuibox.client.image_calls import PruneResult
from tuibox.client.models import ContainerSummary, ImageSummary
from tuibox.client.networks import NetworkEndpoint, NetworkSummary
from tuibox.client.progress import ProgressEvent
from tuibox.client.references import split_reference
from tuibox.client.registries import CatalogPage, RegistryState, TagInfo, TagPage

MB = 1_000_000
LAYERS = ("a1b2c3d4e5f6", "0f9e8d7c6b5a")
"""The two layers of the scripted pull."""


def layer(status: str, layer_id: str, current: int | None = None,
          total: int | None = None) -> ProgressEvent:  # fmt: skip
    """One per-layer line of a scripted stream."""
    return ProgressEvent(status, layer_id, current, total)


def scripted_pull(reference: str) -> list[ProgressEvent]:
    """What a pull of a two-layer image streams, as dockerd words it."""
    name, tag = split_reference(reference)
    first, second = LAYERS
    return [
        ProgressEvent(f"Pulling from {name}", tag),
        layer("Pulling fs layer", first), layer("Already exists", second),
        layer("Downloading", first, 1 * MB, 4 * MB), layer("Downloading", first, 3 * MB, 4 * MB),
        layer("Verifying Checksum", first), layer("Download complete", first),
        layer("Extracting", first, 2 * MB, 4 * MB), layer("Pull complete", first),
        ProgressEvent("Digest: sha256:" + "9a" * 32),
        ProgressEvent(f"Status: Downloaded newer image for {reference}"),
    ]  # fmt: skip


def scripted_push(reference: str) -> list[ProgressEvent]:
    """What a push of a two-layer image streams, as dockerd words it."""
    name, tag = split_reference(reference)
    first, second = LAYERS
    digest = "sha256:" + "7c" * 32
    return [
        ProgressEvent(f"The push refers to repository [{name}]"),
        layer("Preparing", first), layer("Preparing", second), layer("Waiting", first),
        layer("Layer already exists", second), layer("Pushing", first, 2 * MB, 4 * MB),
        layer("Pushed", first),
        ProgressEvent(f"{tag}: digest: {digest} size: 739"),
        ProgressEvent(aux={"Tag": tag, "Digest": digest, "Size": 739}),
    ]  # fmt: skip


def tuibox_registries() -> list[RegistryState]:
    """Docker Hub, its mirror, an insecure registry logged into, one logged into by config."""
    return [
        RegistryState("docker.io", "hub"),
        RegistryState("127.0.0.1:5000", "mirror", secure=False),
        RegistryState("registry.local:5000", "insecure", logged_in=True, username="ci",
                      secure=False, source="engine"),
        RegistryState("quay.example", "login", logged_in=True, username="bob",
                      source="config.json"),
    ]  # fmt: skip


class FakeRegistryCalls:
    """Scripted streams: `pull_script(reference)` gives what a pull yields; with `hold_stream`
    set the stream then waits for `stream_release` (a long pull, for Esc); `closed_streams`
    names each stream closed before its end."""

    images: list[ImageSummary]
    networks: list[NetworkSummary]
    containers: list[ContainerSummary]

    def init_registry_calls(self) -> None:
        """Set the scripted state (FakeEngineClient.__init__ calls this)."""
        self.pull_script = scripted_pull
        self.push_script = scripted_push
        self.hold_stream = False
        self.stream_release = asyncio.Event()
        self.closed_streams: list[str] = []
        self.registries: list[RegistryState] | None = None
        """What GET /tuibox/v1/registries answers: None as a dockerd (the pane reads /info);
        tuibox_registries() gives what a tuibox engine lists."""
        self.passwords: dict[str, tuple[str, str]] = {"127.0.0.1:5000": ("alice", "s3cret")}
        """The credentials each registry takes."""
        self.catalogs: dict[str, list[str]] = {
            "127.0.0.1:5000": [f"team/app{i:02d}" for i in range(1, 131)] + ["library/busybox"],
        }
        self.tags: dict[tuple[str, str], list[TagInfo]] = {
            ("127.0.0.1:5000", "library/busybox"): [
                TagInfo("1.36", "sha256:" + "36" * 32, 2_160_000, ("linux/amd64", "linux/arm64"),
                        1_750_000_000.0 - 20 * 86400),
                TagInfo("latest", "sha256:" + "9a" * 32, 2_210_000, ("linux/amd64",),
                        1_750_000_000.0 - 3 * 86400),
            ],
        }  # fmt: skip

    async def _answer(self, method: str, *args: object) -> None:
        raise NotImplementedError

    async def _stream(self, method: str, reference: str,
                      events: Sequence[ProgressEvent]) -> AsyncIterator[ProgressEvent]:  # fmt: skip
        finished = False
        try:
            for event in events:
                yield event
                await asyncio.sleep(0)
            if self.hold_stream:
                await self.stream_release.wait()
            finished = True
        finally:
            if not finished:
                self.closed_streams.append(f"{method} {reference}")

    async def pull_image(
        self, reference: str, platform: str | None = None
    ) -> AsyncIterator[ProgressEvent]:
        await self._answer("pull_image", reference, platform)
        async for event in self._stream("pull", reference, self.pull_script(reference)):
            yield event

    async def push_image(self, reference: str) -> AsyncIterator[ProgressEvent]:
        await self._answer("push_image", reference)
        if not any(reference in image.tags for image in self.images):
            raise NotFoundError(f"An image does not exist locally with the tag: "
                                f"{split_reference(reference)[0]}", 404)  # fmt: skip
        async for event in self._stream("push", reference, self.push_script(reference)):
            yield event

    async def tag_image(self, source: str, target: str) -> None:
        await self._answer("tag_image", source, target)
        image = next((i for i in self.images if source in (i.id, *i.tags)), None)
        if image is None:
            raise NotFoundError(f"No such image: {source}", 404)
        full = ":".join(split_reference(target))
        self.images = [replace(i, repo_tags=tuple(t for t in i.repo_tags if t != full)
                               + ((full,) if i.id == image.id else ())) for i in self.images]

    async def prune_images(self, all: bool = False) -> PruneResult:
        await self._answer("prune_images", all)
        gone = [i for i in self.images if not i.tags or (all and not i.containers)]
        self.images = [i for i in self.images if i not in gone]
        lines = [f"Untagged: {tag}" for i in gone for tag in i.tags]
        return PruneResult(tuple(lines + [f"Deleted: {i.id}" for i in gone]),
                           sum(i.size for i in gone))  # fmt: skip

    async def connect_network(
        self, network_id: str, container: str, *, aliases: Sequence[str] = (), ipv4: str = ""
    ) -> None:
        await self._answer("connect_network", network_id, container, tuple(aliases), ipv4)
        network = self._network(network_id)
        found = next((c for c in self.containers if container in (c.id, c.name)), None)
        if found is None:
            raise NotFoundError(f"No such container: {container}", 404)
        if any(e.container_id == found.id for e in network.containers):
            raise ConflictError(f"endpoint with name {found.name} already exists in network "
                                f"{network.name}", 409)  # fmt: skip
        endpoint = NetworkEndpoint(found.id, found.name, "ee" * 32, "02:42:0a:00:00:09",
                                   ipv4, running=found.is_running)  # fmt: skip
        self._replace_network(replace(network, containers=(*network.containers, endpoint)))

    async def disconnect_network(self, network_id: str, container: str,
                                 force: bool = False) -> None:  # fmt: skip
        await self._answer("disconnect_network", network_id, container, force)
        network = self._network(network_id)
        kept = tuple(e for e in network.containers if container not in (e.container_id, e.name))
        if kept == network.containers:
            raise ConflictError(f"container {container} is not connected to network "
                                f"{network.name}", 409)  # fmt: skip
        self._replace_network(replace(network, containers=kept))

    def _network(self, network_id: str) -> NetworkSummary:
        raise NotImplementedError

    def _replace_network(self, network: NetworkSummary) -> None:
        self.networks = [network if n.id == network.id else n for n in self.networks]

    async def login(self, server: str, username: str, password: str) -> str:
        await self._answer("login", server, username, "***")  # the password is never recorded
        if self.passwords.get(server) != (username, password):
            raise UnauthorizedError("login attempt to http://" + server + "/v2/ failed with "
                                    "status: 401 Unauthorized", 401)  # fmt: skip
        self._set_login(server, True, username)
        return "Login Succeeded"

    async def logout(self, server: str) -> None:
        await self._answer("logout", server)
        self._set_login(server, False, "")

    def _set_login(self, server: str, logged_in: bool, username: str) -> None:
        if self.registries is not None:
            self.registries = [replace(r, logged_in=logged_in, username=username)
                               if r.address == server else r for r in self.registries]

    async def list_registries(self) -> list[RegistryState] | None:
        await self._answer("list_registries")
        return None if self.registries is None else list(self.registries)

    async def registry_catalog(self, host: str, last: str | None = None,
                               n: int = 100) -> CatalogPage:  # fmt: skip
        await self._answer("registry_catalog", host, last, n)
        names = sorted(self.catalogs.get(host, []))
        after = [name for name in names if last is None or name > last]
        page = tuple(after[:n])
        return CatalogPage(page, page[-1] if len(after) > n else None)

    async def registry_tags(self, host: str, repository: str, last: str | None = None,
                            n: int = 100) -> TagPage:  # fmt: skip
        await self._answer("registry_tags", host, repository, last, n)
        if (host, repository) not in self.tags:
            raise NotFoundError(f"repository {repository} not found", 404)
        return TagPage(tuple(self.tags[(host, repository)]), None)
