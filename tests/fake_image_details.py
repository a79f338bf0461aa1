"""FakeImageDetailCalls: the fake engine's image inspect, history and layer report, scripted.

busybox (every name of image "b" * 64) has three layers: the base, one adding /data/big and
rewriting /etc/passwd, and one removing /data/big and /etc/group and adding /app. Any other
image has no layer report, as against dockerd (`image_layers` answers None).
"""

from __future__ import annotations

from typing import Any

from tuibox.client.errors import NotFoundError
from tuibox.client.image_details import HistoryEntry, LayerReport
from tuibox.client.models import ImageSummary

FROZEN_NOW = 1_750_000_000.0
BUSYBOX_ID = "sha256:" + "b" * 64


def _entry(path: str, kind: str, size: int, change: str, mode: int = 0o644) -> dict[str, Any]:
    return {"path": path, "kind": kind, "size": size, "mode": mode, "uid": 0, "gid": 0,
            "change": change}  # fmt: skip


def _layer(index: int, created_by: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    size = sum(e["size"] for e in entries if e["kind"] == "file" and e["change"] != "removed")
    return {"index": index, "diff_id": f"sha256:{index}" + "0" * 63, "chain_id": "",
            "created_by": created_by, "size": size, "entry_count": len(entries),
            "truncated": False, "entries": entries}  # fmt: skip


def busybox_report() -> LayerReport:
    """The scripted layer report of busybox."""
    base = [
        _entry("/bin", "dir", 0, "added", 0o755),
        _entry("/bin/busybox", "file", 1_100_000, "added", 0o755),
        _entry("/bin/sh", "symlink", 7, "added", 0o777),
        _entry("/etc", "dir", 0, "added", 0o755),
        _entry("/etc/group", "file", 320, "added"),
        _entry("/etc/passwd", "file", 480, "added"),
        _entry("/tmp", "dir", 0, "added", 0o1777),
    ]
    first = [
        _entry("/data", "dir", 0, "added", 0o755),
        _entry("/data/big", "file", 3_000_000, "added"),
        _entry("/etc", "dir", 0, "modified", 0o755),
        _entry("/etc/passwd", "file", 520, "modified"),
    ]
    second = [
        _entry("/app", "dir", 0, "added", 0o755),
        _entry("/app/run.sh", "file", 64, "added", 0o755),
        _entry("/data", "dir", 0, "modified", 0o755),
        _entry("/data/big", "file", 3_000_000, "removed"),
        _entry("/etc", "dir", 0, "modified", 0o755),
        _entry("/etc/group", "file", 320, "removed"),
    ]
    layers = [_layer(0, "/bin/sh -c #(nop) ADD file:4f1e in / ", base),
              _layer(1, "/bin/sh -c head -c 3000000 /dev/zero > /data/big", first),
              _layer(2, "/bin/sh -c rm /data/big /etc/group && mkdir /app", second)]  # fmt: skip
    size = sum(layer["size"] for layer in layers)
    wasted = 3_000_000 + 480 + 320
    return LayerReport.from_json({
        "size": size, "wasted_bytes": wasted, "efficiency": (size - wasted) / size,
        "wasted_file_count": 3,
        "wasted_files": [
            {"path": "/data/big", "copies": 1, "total_bytes": 3_000_000, "wasted_bytes": 3_000_000},
            {"path": "/etc/passwd", "copies": 2, "total_bytes": 1000, "wasted_bytes": 480},
            {"path": "/etc/group", "copies": 1, "total_bytes": 320, "wasted_bytes": 320},
        ],
        "layers": layers,
    })  # fmt: skip


def busybox_inspect() -> dict[str, Any]:
    """The scripted `docker image inspect busybox`."""
    return {
        "Id": BUSYBOX_ID, "RepoTags": ["busybox:latest", "busybox:1.35"],
        "Created": "2025-06-05T15:06:40Z", "Architecture": "amd64", "Os": "linux",
        "Size": 4_270_000,
        "Config": {
            "Entrypoint": ["/app/run.sh"], "Cmd": ["sh"], "Env": ["PATH=/bin", "MODE=demo"],
            "ExposedPorts": {"8080/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
            "Labels": {"org.opencontainers.image.title": "busybox", "team": "tools"},
            "WorkingDir": "/app", "User": "app",
        },
        "RootFS": {"Type": "layers", "Layers": [f"sha256:{i}" + "0" * 63 for i in range(3)]},
    }  # fmt: skip


def busybox_history() -> list[HistoryEntry]:
    """The scripted history of busybox, newest first."""
    day = 86400
    return [
        HistoryEntry(int(FROZEN_NOW - 2 * day), "/bin/sh -c rm /data/big /etc/group && mkdir /app",
                     64, ""),
        HistoryEntry(int(FROZEN_NOW - 5 * day), '/bin/sh -c #(nop)  CMD ["sh"]', 0, ""),
        HistoryEntry(int(FROZEN_NOW - 5 * day), "/bin/sh -c head -c 3000000 /dev/zero > /data/big",
                     3_000_520, ""),
        HistoryEntry(int(FROZEN_NOW - 10 * day), "/bin/sh -c #(nop) ADD file:4f1e in / ",
                     1_100_807, "base layer"),
    ]  # fmt: skip


class FakeImageDetailCalls:
    """`layer_reports[image id]` is what image_layers answers (absent: None, no endpoint)."""

    images: list[ImageSummary]

    def init_image_detail_calls(self) -> None:
        """Set the scripted state (FakeEngineClient.__init__ calls this)."""
        self.layer_reports: dict[str, LayerReport] = {BUSYBOX_ID: busybox_report()}
        self.image_inspects: dict[str, dict[str, Any]] = {BUSYBOX_ID: busybox_inspect()}
        self.histories: dict[str, list[HistoryEntry]] = {BUSYBOX_ID: busybox_history()}

    async def _answer(self, method: str, *args: object) -> None:
        raise NotImplementedError

    def _image_id(self, name: str) -> str:
        for image in self.images:
            if name == image.id or name in image.repo_tags:
                return image.id
        raise NotFoundError(f"No such image: {name}")

    async def inspect_image(self, name: str) -> dict[str, Any]:
        await self._answer("inspect_image", name)
        image_id = self._image_id(name)
        return self.image_inspects.get(image_id, {"Id": image_id, "Config": {}})

    async def image_history(self, name: str) -> list[HistoryEntry]:
        await self._answer("image_history", name)
        return self.histories.get(self._image_id(name), [])

    async def image_layers(self, name: str) -> LayerReport | None:
        await self._answer("image_layers", name)
        return self.layer_reports.get(self._image_id(name))
