"""tuibox: a terminal UI for containers with its own engine inside."""

__version__ = "0.1.0"
