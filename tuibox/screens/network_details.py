"""Provides NetworkDetailsModal: a network's details, where d disconnects one of its containers."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType

from tuibox.screens.details import DetailsModal


class NetworkDetailsModal(DetailsModal):
    """DetailsModal with `d`: close, then ask which attached container to disconnect."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *DetailsModal.BINDINGS,
        Binding("d", "disconnect", "Disconnect a container"),
    ]
    """Esc, Enter or q closes; d disconnects."""

    def __init__(self, title: str, text: str, disconnect: Callable[[], None]) -> None:
        super().__init__(title, text)
        self.disconnect = disconnect

    def action_disconnect(self) -> None:
        """Close the details and hand over to the disconnect question."""
        self.dismiss()
        self.disconnect()
