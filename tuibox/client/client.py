"""Provides EngineClient: the async Docker Engine API client the TUI uses for every engine call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx

from tuibox.client.details import ProcessList
from tuibox.client.errors import (
    EngineError,
    EngineUnavailableError,
    UnsupportedEngineError,
    error_from_response,
)
from tuibox.client.frames import FrameDemuxer, RawDecoder
from tuibox.client.image_calls import ImageCalls
from tuibox.client.image_detail_calls import ImageDetailCalls
from tuibox.client.models import (
    ContainerStartResult,
    ContainerStopResult,
    ContainerSummary,
    EngineInfo,
    ImageSummary,
    LogChunk,
    PingInfo,
    VersionInfo,
    VolumeSummary,
)
from tuibox.client.network_calls import NetworkCalls
from tuibox.client.networks import NetworkCreated, NetworkEndpoint, NetworkSummary
from tuibox.client.registries import RegistryCalls
from tuibox.client.responses import json_body, parse_list, parse_object
from tuibox.client.run_options import RunOptions, create_body
from tuibox.client.stats import cpu_limit_cores, sample_from_docker
from tuibox.client.stats_models import StatsBatch, StatsEvent, StatsHistory, StatsSample
from tuibox.client.terminal import TerminalBridge

MAX_API_VERSION = "1.44"
MIN_API_VERSION = "1.24"
FALLBACK_API_VERSION = MIN_API_VERSION
STOP_TIMEOUT_MARGIN = 15.0
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
BASE_URL = "http://docker"


def socket_path_from_host(host: str) -> str:
    """Turn a `--host` value into a Unix socket path.

    Args:
        host: `unix:///path/to.sock` or a plain absolute path.

    Returns:
        The filesystem path of the socket.

    Raises:
        ValueError: the host uses a scheme other than unix://.
    """
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
    elif "://" in host:
        scheme = host.split("://", 1)[0]
        raise ValueError(f"unsupported host scheme {scheme}://; use unix:///path/to/engine.sock")
    else:
        path = host
    if not path.startswith("/"):
        raise ValueError(f"engine socket path must be absolute: {path!r}")
    return path


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def negotiate_api_version(server_version: str | None, client_max: str = MAX_API_VERSION) -> str:
    """Pick the API version to speak, as the docker CLI does.

    Args:
        server_version: The Api-Version header of /_ping, None when absent.
        client_max: The newest version this client understands.

    Returns:
        min(server, client_max), or 1.24 when the server did not say.
    """
    if not server_version:
        return FALLBACK_API_VERSION
    if _version_tuple(server_version) < _version_tuple(client_max):
        return server_version
    return client_max


def _image_path(reference: str) -> str:
    return quote(reference, safe="/:@")


class EngineClient(ImageCalls, ImageDetailCalls, NetworkCalls, RegistryCalls):
    """Talks to a Docker-compatible engine (tuibox, dockerd, podman) over its Unix socket.

    The API version is negotiated on the first call and again after the engine was lost.
    Every failure is raised as an EngineError subclass; a 304 is returned as a result.
    """

    def __init__(
        self,
        socket_path: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_api_version: str = MAX_API_VERSION,
    ) -> None:
        self.socket_path = socket_path
        self._max_api_version = max_api_version
        self._http = httpx.AsyncClient(
            transport=transport or httpx.AsyncHTTPTransport(uds=socket_path),
            base_url=BASE_URL,
            timeout=DEFAULT_TIMEOUT,
        )
        self._api_version: str | None = None
        self._negotiation_lock = asyncio.Lock()

    @property
    def api_version(self) -> str | None:
        """The negotiated API version, None before the first successful ping."""
        return self._api_version

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            self._api_version = None
            raise EngineUnavailableError(
                f"cannot reach the engine at unix://{self.socket_path}: {err or type(err).__name__}"
            ) from err
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content, path)
        return response

    async def _versioned(self, path: str) -> str:
        if self._api_version is None:
            async with self._negotiation_lock:
                if self._api_version is None:
                    await self.ping()
        return f"/v{self._api_version}{path}"

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._send(method, await self._versioned(path), **kwargs)

    async def ping(self) -> PingInfo:
        """HEAD /_ping (GET when HEAD is refused), and negotiate the API version.

        Returns:
            The engine's ping headers.

        Raises:
            EngineUnavailableError: nothing answers on the socket.
            UnsupportedEngineError: the engine's API is older than 1.24.
        """
        try:
            response = await self._send("HEAD", "/_ping")
        except EngineError as err:
            if isinstance(err, EngineUnavailableError) or err.status == 500:
                raise
            response = await self._send("GET", "/_ping")
        info = PingInfo.from_headers(response.headers)
        if info.api_version and _version_tuple(info.api_version) < _version_tuple(MIN_API_VERSION):
            raise UnsupportedEngineError(
                f"the engine at unix://{self.socket_path} speaks Docker API {info.api_version}, "
                f"older than {MIN_API_VERSION}, the oldest tuibox supports; upgrade the engine"
            )
        self._api_version = negotiate_api_version(info.api_version, self._max_api_version)
        return info

    async def version(self) -> VersionInfo:
        """GET /version: which engine this is, and its version."""
        return parse_object(await self._call("GET", "/version"), VersionInfo.from_json)

    async def info(self) -> EngineInfo:
        """GET /info: counts and the registry configuration."""
        return parse_object(await self._call("GET", "/info"), EngineInfo.from_json)

    async def list_containers(self, all: bool = True) -> list[ContainerSummary]:
        """GET /containers/json; `all` includes stopped containers."""
        response = await self._call("GET", "/containers/json", params={"all": int(all)})
        return parse_list(response, ContainerSummary.from_json)

    async def list_images(self) -> list[ImageSummary]:
        """GET /images/json: the tagged and dangling top-level images."""
        return parse_list(await self._call("GET", "/images/json"), ImageSummary.from_json)

    async def list_volumes(self) -> list[VolumeSummary]:
        """GET /volumes, twice: all of them, then the dangling ones, to say which are used."""
        every = await self._call("GET", "/volumes")
        unused = await self._call(
            "GET", "/volumes", params={"filters": json.dumps({"dangling": ["true"]})}
        )
        dangling = {v.name for v in parse_object(unused, _volumes)}
        return [replace(v, in_use=v.name not in dangling) for v in parse_object(every, _volumes)]

    async def create_volume(self, name: str) -> VolumeSummary:
        """POST /volumes/create; an empty name makes an anonymous-looking random one."""
        response = await self._call("POST", "/volumes/create", json={"Name": name})
        return parse_object(response, VolumeSummary.from_json)

    async def remove_volume(self, name: str) -> None:
        """DELETE /volumes/{name}: refused (409) while a container uses it."""
        await self._call("DELETE", f"/volumes/{name}")

    async def prune_volumes(self) -> tuple[list[str], int]:
        """POST /volumes/prune: the unused anonymous volumes; (names removed, bytes freed)."""
        response = await self._call("POST", "/volumes/prune")
        return parse_object(response, _pruned)

    async def list_networks(self) -> list[NetworkSummary]:
        """GET /networks, with each network's containers read from GET /containers/json.

        Since API 1.28 the list leaves `Containers` empty; the containers' own
        NetworkSettings say which networks each is on, so two calls fill every network.
        """
        networks = parse_list(await self._call("GET", "/networks"), NetworkSummary.from_json)
        response = await self._call("GET", "/containers/json", params={"all": 1})
        attached = _attachments(json_body(response, list))
        return [
            network if network.containers else replace(
                network, containers=tuple(sorted(
                    attached.get(network.id, []) or attached.get(network.name, []),
                    key=lambda endpoint: endpoint.name)))
            for network in networks
        ]  # fmt: skip

    async def inspect_network(self, network_id: str) -> NetworkSummary:
        """GET /networks/{id}: the network with its attached containers."""
        response = await self._call("GET", f"/networks/{quote(network_id, safe='')}")
        return parse_object(response, NetworkSummary.from_json)

    async def create_network(
        self, name: str, subnet: str | None = None, internal: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NetworkCreated:  # fmt: skip
        """POST /networks/create: a bridge network, with a subnet of its own when given.

        Before API 1.44 an engine made a second network of the same name unless asked
        not to, so CheckDuplicate is sent to those (1.44 and later always refuse one).
        """
        body: dict[str, Any] = {"Name": name, "Driver": "bridge", "Internal": internal,
                                "Labels": dict(labels or {})}  # fmt: skip
        if subnet:
            body["IPAM"] = {"Driver": "default", "Config": [{"Subnet": subnet}]}
        path = await self._versioned("/networks/create")
        if _version_tuple(self._api_version or MAX_API_VERSION) < (1, 44):
            body["CheckDuplicate"] = True
        response = await self._send("POST", path, json=body)
        return parse_object(response, lambda raw: NetworkCreated(
            str(raw["Id"]), str(raw.get("Warning") or "")))  # fmt: skip

    async def remove_network(self, network_id: str) -> None:
        """DELETE /networks/{id}: refused (403) for a predefined one or one with containers."""
        await self._call("DELETE", f"/networks/{quote(network_id, safe='')}")

    async def prune_networks(self) -> list[str]:
        """POST /networks/prune: the unused user networks; the names of those removed."""
        response = await self._call("POST", "/networks/prune")
        return parse_object(response, lambda raw: [str(n) for n in raw.get("NetworksDeleted")
                                                   or []])  # fmt: skip

    async def inspect_container(self, container_id: str) -> dict[str, Any]:
        """GET /containers/{id}/json, returned as the engine's raw JSON object."""
        response = await self._call("GET", f"/containers/{container_id}/json")
        return dict(json_body(response, dict))

    async def top(self, container_id: str, ps_args: str | None = None) -> ProcessList:
        """GET /containers/{id}/top: the container's processes as ps shows them (`docker top`).

        Raises:
            ConflictError: the container is not running.
        """
        params = {} if ps_args is None else {"ps_args": ps_args}
        response = await self._call("GET", f"/containers/{container_id}/top", params=params)
        return parse_object(response, ProcessList.from_json)

    async def cpu_limit(self, container_id: str) -> float | None:
        """The cores the container's CPU limit allows, None when it has none."""
        inspected = await self.inspect_container(container_id)
        host_config = inspected.get("HostConfig")
        return cpu_limit_cores(host_config) if isinstance(host_config, dict) else None

    async def start(self, container_id: str) -> ContainerStartResult:
        """POST /containers/{id}/start; a 304 means it was already running."""
        response = await self._call("POST", f"/containers/{container_id}/start")
        return ContainerStartResult(already_started=response.status_code == 304)

    async def stop(self, container_id: str, timeout: int = 10) -> ContainerStopResult:
        """POST /containers/{id}/stop?t=timeout; a 304 means it was already stopped.

        The HTTP timeout is the stop timeout plus a margin, so a slow SIGTERM is not
        mistaken for a lost engine.
        """
        response = await self._call(
            "POST",
            f"/containers/{container_id}/stop",
            params={"t": timeout},
            timeout=httpx.Timeout(timeout + STOP_TIMEOUT_MARGIN, connect=5.0),
        )
        return ContainerStopResult(already_stopped=response.status_code == 304)

    async def restart(self, container_id: str, timeout: int = 10) -> None:
        """POST /containers/{id}/restart?t=timeout."""
        await self._call(
            "POST",
            f"/containers/{container_id}/restart",
            params={"t": timeout},
            timeout=httpx.Timeout(timeout + STOP_TIMEOUT_MARGIN, connect=5.0),
        )

    async def kill(self, container_id: str, signal: str | None = None) -> None:
        """POST /containers/{id}/kill (SIGKILL unless `signal` names another)."""
        params = {"signal": signal} if signal else None
        await self._call("POST", f"/containers/{container_id}/kill", params=params)

    async def exec_create(
        self, container_id: str, command: list[str], *, tty: bool,
        size: tuple[int, int] | None = None,
    ) -> str:  # fmt: skip
        """POST /containers/{id}/exec with stdin, stdout and stderr attached; the exec's ID."""
        body: dict[str, Any] = {"Cmd": command, "Tty": tty, "AttachStdin": True,
                                "AttachStdout": True, "AttachStderr": True}  # fmt: skip
        if size is not None:
            body["ConsoleSize"] = list(size)
        response = await self._call("POST", f"/containers/{container_id}/exec", json=body)
        return parse_object(response, lambda raw: str(raw["Id"]))

    async def exec_start_detached(self, exec_id: str) -> None:
        """POST /exec/{id}/start with Detach: the process runs on its own."""
        await self._call("POST", f"/exec/{exec_id}/start", json={"Detach": True, "Tty": False})

    async def exec_exit_code(self, exec_id: str) -> int | None:
        """GET /exec/{id}/json: the exit code, None while it runs."""
        response = await self._call("GET", f"/exec/{exec_id}/json")
        code = parse_object(response, lambda raw: raw.get("ExitCode"))
        return code if isinstance(code, int) and not isinstance(code, bool) else None

    async def terminal_bridge(self, exec_id: str) -> TerminalBridge:
        """What wires the user's terminal to a TTY exec (run it while the TUI is suspended)."""
        prefix = (await self._versioned("")).rstrip("/")
        return TerminalBridge.for_exec(self.socket_path, prefix, exec_id)

    async def attach_bridge(self, container_id: str, banner: str = "") -> TerminalBridge:
        """What wires the user's terminal to a TTY container's own (`docker attach`)."""
        prefix = (await self._versioned("")).rstrip("/")
        return TerminalBridge.for_attach(self.socket_path, prefix, container_id, banner)

    async def pause(self, container_id: str) -> None:
        """POST /containers/{id}/pause: freeze its processes."""
        await self._call("POST", f"/containers/{container_id}/pause")

    async def unpause(self, container_id: str) -> None:
        """POST /containers/{id}/unpause."""
        await self._call("POST", f"/containers/{container_id}/unpause")

    async def rename(self, container_id: str, new_name: str) -> None:
        """POST /containers/{id}/rename?name=new_name."""
        await self._call("POST", f"/containers/{container_id}/rename", params={"name": new_name})

    async def remove_container(self, container_id: str, force: bool = False) -> None:
        """DELETE /containers/{id}; `force` kills a running container first."""
        await self._call("DELETE", f"/containers/{container_id}", params={"force": int(force)})

    async def create_container(self, image: str, name: str | None = None) -> str:
        """POST /containers/create with the image's defaults; returns the new container's ID."""
        params = {"name": name} if name else None
        response = await self._call(
            "POST", "/containers/create", params=params, json={"Image": image}
        )
        return parse_object(response, lambda body: str(body["Id"]))

    async def run_image(self, image: str, options: RunOptions | None = None) -> str:
        """Create a container from `image` (with `options`: name, -p, network, command) and
        start it detached, as `docker run -d` does; returns its ID."""
        options = options or RunOptions()
        params = {"name": options.name} if options.name else None
        response = await self._call(
            "POST", "/containers/create", params=params, json=create_body(image, options)
        )
        container_id = parse_object(response, lambda body: str(body["Id"]))
        await self.start(container_id)
        return container_id

    async def remove_image(self, reference: str, force: bool = False) -> list[str]:
        """DELETE /images/{reference}; returns the "Untagged: …"/"Deleted: …" lines."""
        response = await self._call(
            "DELETE", f"/images/{_image_path(reference)}", params={"force": int(force)}
        )
        entries = parse_list(
            response, lambda entry: [f"{key}: {value}" for key, value in entry.items()]
        )
        return [line for entry_lines in entries for line in entry_lines]

    async def logs(
        self, container_id: str, follow: bool = True, tail: int | str = "all",
        *, timestamps: bool = False, since: float | None = None,
    ) -> AsyncIterator[LogChunk]:  # fmt: skip
        """Stream GET /containers/{id}/logs, demultiplexed into stdout/stderr chunks.

        Args:
            container_id: The container's ID or name.
            follow: Keep the stream open until the container stops.
            tail: How many lines of history to send first ("all" or a number).
            timestamps: Start each log entry with its RFC 3339 time and a space.
            since: Only entries from this Unix time on (None: from the start).

        Yields:
            LogChunks as they arrive; raw text as stdout when the container has a TTY.
        """
        config = (await self.inspect_container(container_id)).get("Config")
        tty = isinstance(config, dict) and bool(config.get("Tty"))
        params: dict[str, str | int] = {
            "stdout": 1, "stderr": 1, "follow": int(follow), "tail": str(tail),
            "timestamps": int(timestamps),
        }
        if since is not None:
            params["since"] = f"{since:.9f}"
        path = await self._versioned(f"/containers/{container_id}/logs")
        timeout = httpx.Timeout(10.0, read=None) if follow else DEFAULT_TIMEOUT
        try:
            async with self._http.stream("GET", path, params=params, timeout=timeout) as response:
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, await response.aread(), path)
                content_type = response.headers.get("content-type", "")
                raw = "raw-stream" in content_type or ("multiplexed" not in content_type and tty)
                decoder = RawDecoder() if raw else FrameDemuxer()
                async for data in response.aiter_bytes():
                    for chunk in decoder.feed(data):
                        yield chunk
                for chunk in decoder.flush():
                    yield chunk
        except httpx.TransportError as err:
            raise EngineUnavailableError(f"log stream from the engine broke: {err}") from err


    async def _lines(
        self, path: str, params: dict[str, str] | None = None
    ) -> AsyncIterator[Any]:
        """Stream a response of one JSON document per line."""
        timeout = httpx.Timeout(10.0, read=None)
        try:
            async with self._http.stream("GET", path, params=params, timeout=timeout) as response:
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, await response.aread(), path)
                async for line in response.aiter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx.TransportError as err:
            raise EngineUnavailableError(f"stats stream from the engine broke: {err}") from err
        except ValueError as err:
            raise EngineError(f"the engine sent a stats line that is not JSON: {err}") from err

    async def stats_stream(self, since: float | None = None) -> AsyncIterator[StatsEvent]:
        """tuibox's batched stream: every running container's figures each second.

        With `since`, the history since then comes first. Only tuibox's engine has it;
        others answer 404 (NotFoundError): use `container_stats` for them.
        """
        params = {} if since is None else {"since": f"{since:.3f}"}
        async for raw in self._lines("/tuibox/v1/stats", params):
            if not isinstance(raw, dict):
                continue
            if "history" in raw:
                history = raw["history"]
                if isinstance(history, dict):
                    yield StatsEvent(history=StatsHistory.from_json(history))
            else:
                yield StatsEvent(batch=StatsBatch.from_json(raw))

    async def stats_history(self, container_id: str, since: float) -> list[StatsSample]:
        """One container's kept samples after `since` (tuibox's engine only)."""
        response = await self._send(
            "GET", "/tuibox/v1/stats/history",
            params={"container": container_id, "since": f"{since:.3f}"},
        )  # fmt: skip
        history = parse_object(response, StatsHistory.from_json)
        return next(iter(history.containers.values()), [])

    async def container_stats(self, container_id: str) -> AsyncIterator[StatsSample]:
        """Docker's standard stats stream of one container, with the docker CLI's formulas."""
        path = await self._versioned(f"/containers/{container_id}/stats")
        async for raw in self._lines(path, {"stream": "1"}):
            if isinstance(raw, dict):
                yield sample_from_docker(raw)


async def engine_answers(socket_path: str, timeout: float = 2.0) -> bool:
    """Whether an engine answers GET /_ping on `socket_path` within `timeout` seconds."""
    transport = httpx.AsyncHTTPTransport(uds=socket_path)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=timeout) as http:
        try:
            response = await http.get("/_ping")
        except httpx.HTTPError:
            return False
    return response.status_code == 200


def _pruned(body: Mapping[str, Any]) -> tuple[list[str], int]:
    return [str(n) for n in body.get("VolumesDeleted") or []], int(body.get("SpaceReclaimed") or 0)


def _volumes(body: Mapping[str, Any]) -> list[VolumeSummary]:
    """The Volumes array of a GET /volumes answer (null when there are none)."""
    return [VolumeSummary.from_json(raw) for raw in body.get("Volumes") or []
            if isinstance(raw, dict)]  # fmt: skip


def _attachments(containers: list[Any]) -> dict[str, list[NetworkEndpoint]]:
    """Each network's endpoints (keyed by network ID and by name) from GET /containers/json."""
    attached: dict[str, list[NetworkEndpoint]] = {}
    for raw in containers:
        if not isinstance(raw, Mapping):
            continue
        summary = ContainerSummary.from_json(raw)
        settings = raw.get("NetworkSettings")
        networks = settings.get("Networks") if isinstance(settings, Mapping) else None
        for name, endpoint in (networks or {}).items() if isinstance(networks, Mapping) else ():
            if not isinstance(endpoint, Mapping):
                continue
            address = str(endpoint.get("IPAddress") or "")
            prefix = endpoint.get("IPPrefixLen")
            attached.setdefault(str(endpoint.get("NetworkID") or name), []).append(NetworkEndpoint(
                container_id=summary.id, name=summary.name,
                endpoint_id=str(endpoint.get("EndpointID") or ""),
                mac_address=str(endpoint.get("MacAddress") or ""),
                ipv4_address=f"{address}/{prefix}" if address and prefix else address,
                ipv6_address=str(endpoint.get("GlobalIPv6Address") or ""),
                running=summary.is_running))  # fmt: skip
    return attached
