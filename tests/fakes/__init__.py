"""Fakes of the engine's real components, for unit tests that run without root."""
