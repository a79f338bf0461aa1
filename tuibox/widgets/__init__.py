"""Widgets of the tuibox TUI; each shows one thing and holds no engine logic."""

from tuibox.widgets.container_table import ContainerTable
from tuibox.widgets.engine_header import EngineHeader
from tuibox.widgets.image_table import ImageRow, ImageTable
from tuibox.widgets.registry_list import RegistryRow, RegistryTable
from tuibox.widgets.resource_table import ResourceTable

__all__ = [
    "ContainerTable",
    "EngineHeader",
    "ImageRow",
    "ImageTable",
    "RegistryRow",
    "RegistryTable",
    "ResourceTable",
]
