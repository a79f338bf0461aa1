"""Provides the app-wide messages: the engine's state, and what panes and screens report up."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tuibox.client.errors import EngineError
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


@dataclass
class EngineReached(Message):
    """A background refresh got an answer from the engine (posted on every successful poll)."""

    def can_replace(self, message: Message) -> bool:
        """Many in a row say no more than the last one."""
        return isinstance(message, EngineReached)


@dataclass
class PollFailed(Message):
    """A background refresh of a list failed with the engine's (or the transport's) error."""

    error: EngineError

    def can_replace(self, message: Message) -> bool:
        """The same failure repeated on every poll is reported once: keep only the latest."""
        return (
            isinstance(message, PollFailed)
            and type(message.error) is type(self.error)
            and message.error.message == self.error.message
        )


@dataclass
class ActionFailed(Message):
    """The engine refused an action the user asked for (start, delete, logs, ...)."""

    title: str
    """The notification title, e.g. "Stop failed"."""
    error: EngineError


@dataclass
class WorkerCrashed(Message):
    """A pane's or screen's worker raised something other than an EngineError (a bug)."""

    worker_name: str
    """The worker's name ("" when it has none)."""
    error: BaseException

