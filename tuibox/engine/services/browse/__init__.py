"""Browsing a registry for the TUI: its catalog, paged, and a repository's tags in detail."""
