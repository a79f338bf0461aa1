"""Checks at engine start that the host can run containers, and fixes what is safe to fix."""
