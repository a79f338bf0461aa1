"""Import (docker import): one rootfs tarball becomes a one-layer image."""

from __future__ import annotations

import asyncio
import json
import shlex
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuibox import timestamps
from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.image import ImageRecord
from tuibox.engine.domain.json_input import parse_json
from tuibox.engine.domain.platform import Platform, host_platform
from tuibox.engine.domain.reference import Reference
from tuibox.engine.layers.store import LayerStore
from tuibox.engine.layers.unpack import UnpackLimits, unpack_layer
from tuibox.engine.services.images.retention import Retention
from tuibox.engine.store.content import ContentStore
from tuibox.engine.store.images import ImageStore

MAX_IMPORT_BYTES = 16 * 1024**3


def parse_changes(changes: list[str]) -> dict[str, Any]:
    """Apply Dockerfile-like `changes` (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE...).

    Returns:
        The image config's "config" section.

    Raises:
        InvalidArgument: an instruction tuibox does not know, or one without a value.
    """
    section: dict[str, Any] = {}
    for change in changes:
        instruction, _, value = change.strip().partition(" ")
        keyword = instruction.upper()
        value = value.strip()
        if not keyword:
            continue
        if not value:
            raise InvalidArgument(f"{keyword} requires at least one argument")
        _apply_change(section, keyword, value)
    return section


def _apply_change(section: dict[str, Any], keyword: str, value: str) -> None:
    if keyword in ("CMD", "ENTRYPOINT"):
        section["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(value)
    elif keyword == "ENV":
        section.setdefault("Env", []).extend(_pairs(value, keyword))
    elif keyword == "LABEL":
        labels = section.setdefault("Labels", {})
        for pair in _pairs(value, keyword):
            key, _, label = pair.partition("=")
            labels[key] = label
    elif keyword == "WORKDIR":
        section["WorkingDir"] = value
    elif keyword == "USER":
        section["User"] = value
    elif keyword == "STOPSIGNAL":
        section["StopSignal"] = value
    elif keyword == "EXPOSE":
        ports = section.setdefault("ExposedPorts", {})
        for port in value.split():
            ports[port if "/" in port else f"{port}/tcp"] = {}
    elif keyword == "VOLUME":
        volumes = section.setdefault("Volumes", {})
        for path in _command(value) if value.startswith("[") else value.split():
            volumes[path] = {}
    else:
        raise InvalidArgument(f"{keyword} is not a valid change command")


def _command(value: str) -> list[str]:
    if value.startswith("["):
        try:
            parsed = parse_json(value, "the change's JSON form")
        except InvalidArgument as err:
            if "nested too deeply" in str(err):
                raise InvalidArgument(f"changes: {err}") from None
            parsed = None
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return parsed
    return ["/bin/sh", "-c", value]


def _pairs(value: str, keyword: str) -> list[str]:
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise InvalidArgument(f"{keyword} {value!r}: {err}") from None
    if len(words) >= 2 and "=" not in words[0]:
        return [f"{words[0]}={' '.join(words[1:])}"]
    if not all("=" in w for w in words):
        raise InvalidArgument(f"{keyword} {value!r}: expected key=value pairs")
    return words


def import_config(
    diff_id: str, section: dict[str, Any], message: str | None, platform: Platform | None = None
) -> bytes:
    """The config JSON bytes of an imported image; its sha256 is the image ID."""
    now = timestamps.now()
    comment = message or "Imported from -"
    document = {
        "architecture": (platform or host_platform()).architecture,
        "os": "linux",
        "created": now,
        "comment": comment,
        **({"variant": platform.variant} if platform and platform.variant else {}),
        "config": section,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": now, "comment": comment}],
    }
    return json.dumps(document, separators=(",", ":")).encode()


class ImageImporter:
    """Imports run concurrently up to the commit; layer commit and record share the lock."""

    def __init__(
        self,
        stores: tuple[ContentStore, LayerStore, ImageStore],
        store_lock: asyncio.Lock,
        retention: Retention,
        limits: UnpackLimits,
    ) -> None:
        self.content, self.layers, self.images = stores
        self.store_lock = store_lock
        self.retention = retention
        self.limits = limits

    async def import_rootfs(
        self, body: AsyncIterator[bytes], target: Reference | None, config: dict[str, Any],
        message: str | None, platform: Platform | None = None,
    ) -> str:  # fmt: skip
        """Unpack the tar `body` and record it as a one-layer image; returns the image ID.

        Raises:
            InvalidArgument: an empty, oversized or unsafe tar stream.
        """
        staging = await asyncio.to_thread(self.layers.staging_dir)
        try:
            diff_id, size = await self._unpack(body, staging)
        except BaseException:
            await asyncio.to_thread(self.layers.discard, staging)
            raise
        config_bytes = import_config(diff_id, config, message, platform)
        async with self.store_lock:
            try:
                created = await asyncio.to_thread(self.layers.commit, staging, diff_id, diff_id,
                                                  size)  # fmt: skip
            except BaseException:
                await asyncio.to_thread(self.layers.discard, staging)
                raise
            try:
                return await asyncio.to_thread(self._record, config_bytes, size, target)
            except BaseException:
                chains = [diff_id] if created else []
                keep = self.retention.keep()
                await asyncio.to_thread(self.retention.prune, chains, [], keep)
                raise

    async def _unpack(self, body: AsyncIterator[bytes], staging: Path) -> tuple[str, int]:
        fd, name = tempfile.mkstemp(prefix="import-", dir=staging)
        body_path = Path(name)
        received = 0
        with open(fd, "wb") as sink:
            async for chunk in body:
                received += len(chunk)
                if received > MAX_IMPORT_BYTES:
                    raise InvalidArgument(f"import refused: more than {MAX_IMPORT_BYTES} bytes")
                await asyncio.to_thread(sink.write, chunk)
        if received == 0:
            raise InvalidArgument("import refused: the request body is empty; send a tar stream")
        result = await asyncio.to_thread(unpack_layer, body_path, staging / "diff",
                                         limits=self.limits, split_dir=staging)  # fmt: skip
        body_path.unlink()
        return result.diff_id, result.size

    def _record(self, config_bytes: bytes, size: int, target: Reference | None) -> str:
        """Store the config and the record (in a worker thread, under the store lock)."""
        image_id = self.content.put(config_bytes)
        self.images.save(ImageRecord(
            id=image_id, config=json.loads(config_bytes), size=size,
            created=int(datetime.now(UTC).timestamp()),
        ))  # fmt: skip
        if target is not None:
            self.images.set_ref(target, image_id)
        return image_id
