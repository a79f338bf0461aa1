"""Demo images, a loopback registry and the seeding that makes the quick start work offline."""

from __future__ import annotations

from tuibox.demo.greeting import GREETING, GREETING_FIRST_LINE
from tuibox.demo.images import BuiltImage, DemoImageError, build_demo_images
from tuibox.demo.push import PushError, push_image, seed_registry
from tuibox.demo.registry import LocalRegistry, RegistryError

__all__ = [
    "GREETING",
    "GREETING_FIRST_LINE",
    "BuiltImage",
    "DemoImageError",
    "LocalRegistry",
    "PushError",
    "RegistryError",
    "build_demo_images",
    "push_image",
    "seed_registry",
]
