"""Screens and panes of the tuibox TUI."""

from tuibox.screens.confirm import ConfirmModal
from tuibox.screens.containers import ContainersPane
from tuibox.screens.error import ErrorModal
from tuibox.screens.help import HelpScreen
from tuibox.screens.images import ImagesPane
from tuibox.screens.logs import LogsScreen
from tuibox.screens.main import MainScreen
from tuibox.screens.registries import RegistriesPane

__all__ = [
    "ConfirmModal",
    "ContainersPane",
    "ErrorModal",
    "HelpScreen",
    "ImagesPane",
    "LogsScreen",
    "MainScreen",
    "RegistriesPane",
]
