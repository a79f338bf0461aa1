"""Container records and the state guards that say which verbs a state allows."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotModified
from tuibox.engine.domain.mounts import MountSpec
from tuibox.engine.domain.network import Attachment
from tuibox.humanize import human_duration
from tuibox.timestamps import ZERO_TIME

MAX_NAME_LENGTH = 255
"""Longest container name: one file name's worth, so listings and events stay small."""
NAME_PATTERN = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


class Status(StrEnum):
    """Docker's container states."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


@dataclass
class ContainerState:
    """What the container is doing now, as `docker inspect` shows under State."""

    status: Status = Status.CREATED
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    oom_killed: bool = False
    health: dict[str, Any] | None = None
    """Docker's State.Health (Status, FailingStreak, Log) when a healthcheck runs."""

    @property
    def running(self) -> bool:
        """Whether a process lives: running or paused (Docker's State.Running is true for both)."""
        return self.status in (Status.RUNNING, Status.PAUSED)

    def check_can_start(self) -> None:
        """Raises NotModified when already running, as moby answers 304."""
        if self.status is Status.RUNNING:
            raise NotModified("container is already running")
        if self.status is Status.PAUSED:
            raise Conflict("cannot start a paused container, try unpause instead")
        if self.status is Status.REMOVING:
            raise Conflict("cannot start a container that is being removed")

    def check_can_stop(self) -> None:
        """Raises NotModified when the container is not running (a paused one stops)."""
        if not self.running:
            raise NotModified("container is not running")

    def check_can_kill(self, given: str, container_id: str) -> None:
        """Raises Conflict when there is nothing to kill."""
        if not self.running:
            raise Conflict(
                f"cannot kill container: {given}: container {container_id} is not running"
            )

    def check_can_pause(self, given: str) -> None:
        """Raises Conflict unless the container runs and is not paused (Docker's words)."""
        if self.status is Status.PAUSED:
            raise Conflict(f"Container {given} is already paused")
        if self.status is not Status.RUNNING:
            raise Conflict(f"Container {given} is not running")

    def check_can_unpause(self, given: str) -> None:
        """Raises Conflict unless the container is paused."""
        if self.status is not Status.PAUSED:
            raise Conflict(f"Container {given} is not paused")

    def check_can_remove(self, given: str, force: bool) -> None:
        """Raises Conflict for a running or paused container unless force is set."""
        if self.status is Status.PAUSED and not force:
            raise Conflict(
                "cannot remove a paused container: unpause and then stop the container "
                "before attempting removal or force remove"
            )
        if self.status is Status.RUNNING and not force:
            raise Conflict(
                f'cannot remove container "{given}": container is running: '
                "stop the container before removing or force remove"
            )


@dataclass
class ContainerRecord:
    """Everything the engine keeps about one container; saved as JSON on every change."""

    id: str
    name: str
    created: str
    image_ref: str
    image_id: str
    path: str
    args: list[str]
    config: dict[str, Any]
    host_config: dict[str, Any]
    state: ContainerState = field(default_factory=ContainerState)
    restart_count: int = 0
    manually_stopped: bool = False
    """Stopped by the user (docker stop): `unless-stopped` then leaves it stopped."""
    layer_chain: list[str] = field(default_factory=list)
    cgroup_path: str = ""
    """The container's cgroup below each hierarchy ("/tuibox/<id>"), fixed at create."""
    mounts: list[MountSpec] = field(default_factory=list)
    """Binds, volumes (named once resolved) and tmpfs mounts, fixed at create."""
    networks: list[Attachment] = field(default_factory=list)
    """The networks each run joins, in order (names resolved at create; connect and
    disconnect change them); empty for none, host and container:<x>."""

    def volume_names(self, *, anonymous_only: bool = False) -> list[str]:
        """The volumes the container mounts."""
        return [m.source for m in self.mounts
                if m.type == "volume" and (m.anonymous or not anonymous_only)]  # fmt: skip

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def auto_remove(self) -> bool:
        return bool(self.host_config.get("AutoRemove"))

    @property
    def command(self) -> str:
        """The command line as `docker ps` shows it: words with spaces are quoted."""
        words = [self.path, *self.args]
        return " ".join(shlex.quote(w) if " " in w else w for w in words)

    def to_json(self) -> dict[str, Any]:
        state = self.state
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "image_ref": self.image_ref,
            "image_id": self.image_id,
            "path": self.path,
            "args": self.args,
            "config": self.config,
            "host_config": self.host_config,
            "restart_count": self.restart_count,
            "manually_stopped": self.manually_stopped,
            "layer_chain": self.layer_chain,
            "cgroup_path": self.cgroup_path,
            "mounts": [mount.to_json() for mount in self.mounts],
            "networks": [{"network": a.network, "aliases": list(a.aliases),
                          "requested_address": a.requested_address} for a in self.networks],
            "state": {
                "status": state.status.value,
                "pid": state.pid,
                "exit_code": state.exit_code,
                "error": state.error,
                "started_at": state.started_at,
                "finished_at": state.finished_at,
                "oom_killed": state.oom_killed,
                "health": state.health,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerRecord:
        raw_state = dict(data["state"])
        raw_state["status"] = Status(raw_state["status"])
        return cls(
            id=data["id"],
            name=data["name"],
            created=data["created"],
            image_ref=data["image_ref"],
            image_id=data["image_id"],
            path=data["path"],
            args=list(data["args"]),
            config=dict(data["config"]),
            host_config=dict(data["host_config"]),
            restart_count=int(data.get("restart_count", 0)),
            manually_stopped=bool(data.get("manually_stopped", False)),
            layer_chain=list(data.get("layer_chain", [])),
            cgroup_path=str(data.get("cgroup_path") or ""),
            mounts=[MountSpec.from_json(m) for m in data.get("mounts") or []],
            networks=[Attachment(n["network"], tuple(n.get("aliases") or ()),
                                 n.get("requested_address") or "")
                      for n in data.get("networks") or []],
            state=ContainerState(**raw_state),
        )


def validate_name(name: str) -> str:
    """Return the name without its leading slash, or raise InvalidArgument with Docker's text."""
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"Invalid container name ({name[:64]}...): at most {MAX_NAME_LENGTH} characters"
        )
    if not NAME_PATTERN.match(name):
        raise InvalidArgument(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.lstrip("/")


def status_text(state: ContainerState, now: datetime) -> str:
    """The human Status column of `docker ps` (moby State.String)."""
    now_seconds = now.timestamp()
    if state.status is Status.RUNNING:
        up = "Up " + human_duration(_seconds_since(state.started_at, now_seconds))
        health = (state.health or {}).get("Status")
        if health == "starting":
            return f"{up} (health: starting)"
        return f"{up} ({health})" if health in ("healthy", "unhealthy") else up
    if state.status is Status.PAUSED:
        return f"Up {human_duration(_seconds_since(state.started_at, now_seconds))} (Paused)"
    if state.status is Status.REMOVING:
        return "Removal In Progress"
    if state.status is Status.RESTARTING:
        ago = human_duration(_seconds_since(state.finished_at, now_seconds))
        return f"Restarting ({state.exit_code}) {ago} ago"
    if state.status is Status.DEAD:
        return "Dead"
    if state.status is Status.CREATED or state.finished_at == ZERO_TIME:
        return "Created"
    ago = human_duration(_seconds_since(state.finished_at, now_seconds))
    return f"Exited ({state.exit_code}) {ago} ago"


def _seconds_since(moment: str, now_seconds: float) -> float:
    nanos = None if moment == ZERO_TIME else timestamps.parse_ns(moment)
    return 0.0 if nanos is None else now_seconds - nanos / 1_000_000_000
