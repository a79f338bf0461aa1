"""Provides the app-wide messages about the engine's state."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tuibox.supervisor import EngineStatus


@dataclass
class EngineStatusChanged(Message):
    """The supervisor moved the local engine to another state (starting, up, ...)."""

    status: EngineStatus


@dataclass
class EngineConnectionChanged(Message):
    """A call reached the engine again, or failed to reach it (reason is then non-empty)."""

    lost_reason: str

    def can_replace(self, message: Message) -> bool:
        """Only the latest connection state matters."""
        return isinstance(message, EngineConnectionChanged)
