"""Panes of the tuibox TUI: widgets that poll the engine through the client and act on it."""

from tuibox.panes.containers import ContainersPane
from tuibox.panes.engine_pane import EnginePane
from tuibox.panes.images import ImagesPane
from tuibox.panes.registries import RegistriesPane

__all__ = [
    "ContainersPane",
    "EnginePane",
    "ImagesPane",
    "RegistriesPane",
]
