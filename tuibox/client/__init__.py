"""The TUI's only way to reach an engine: an async Docker Engine API client over a Unix socket."""

from tuibox.client.client import (
    MAX_API_VERSION,
    EngineClient,
    engine_answers,
    negotiate_api_version,
    socket_path_from_host,
)
from tuibox.client.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedByEngineError,
    ServerError,
    ServiceUnavailableError,
    UnauthorizedError,
    error_from_response,
)
from tuibox.client.frames import FrameDemuxer
from tuibox.client.models import (
    ContainerStartResult,
    ContainerStopResult,
    ContainerSummary,
    EngineInfo,
    ImageSummary,
    IndexConfig,
    LogChunk,
    PingInfo,
    RegistryConfig,
    VersionInfo,
)
from tuibox.client.protocol import EngineClientProtocol

__all__ = [
    "MAX_API_VERSION",
    "ConflictError",
    "ContainerStartResult",
    "ContainerStopResult",
    "ContainerSummary",
    "EngineClient",
    "EngineClientProtocol",
    "EngineError",
    "EngineInfo",
    "EngineUnavailableError",
    "ForbiddenError",
    "FrameDemuxer",
    "ImageSummary",
    "IndexConfig",
    "InvalidArgumentError",
    "LogChunk",
    "NotFoundError",
    "NotImplementedByEngineError",
    "PingInfo",
    "RegistryConfig",
    "ServerError",
    "ServiceUnavailableError",
    "UnauthorizedError",
    "VersionInfo",
    "engine_answers",
    "error_from_response",
    "negotiate_api_version",
    "socket_path_from_host",
]
