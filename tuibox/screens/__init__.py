"""Screens and modals of the tuibox TUI (the panes they show are in tuibox.panes)."""

from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.container import ContainerScreen
from tuibox.screens.error import ErrorModal
from tuibox.screens.help import HelpScreen
from tuibox.screens.main import MainScreen

__all__ = [
    "ConfirmModal",
    "ContainerScreen",
    "ErrorModal",
    "HelpScreen",
    "MainScreen",
]
