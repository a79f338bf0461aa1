"""Healthchecks: the image's HEALTHCHECK merged with --health-* flags, Docker's checks (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuibox.engine.domain.errors import InvalidArgument

SECOND_NS = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND_NS
DEFAULT_TIMEOUT = 30 * SECOND_NS
DEFAULT_START_INTERVAL = 5 * SECOND_NS
DEFAULT_RETRIES = 3
MIN_DURATION = 1_000_000
"""1 ms: Docker refuses a shorter interval, timeout or start period."""
_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval")


@dataclass(frozen=True)
class HealthConfig:
    """How and how often to probe a container."""

    test: tuple[str, ...]
    """The command to exec: ("sh", "-c", text) for CMD-SHELL."""
    interval_ns: int = DEFAULT_INTERVAL
    timeout_ns: int = DEFAULT_TIMEOUT
    start_period_ns: int = 0
    start_interval_ns: int = DEFAULT_START_INTERVAL
    retries: int = DEFAULT_RETRIES


def check_healthcheck(value: Any) -> None:
    """Refuse a malformed Healthcheck in a create body, with Docker's words.

    Raises:
        InvalidArgument: a Test that is not CMD, CMD-SHELL or NONE; a duration below 1 ms.
    """
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidArgument("Healthcheck must be an object")
    for key, item in value.items():
        if key not in ("Test", "Retries", *_DURATIONS) and item not in (None, 0, "", []):
            raise InvalidArgument(f"Healthcheck.{key} is not supported by the tuibox engine")
    test = value.get("Test")
    if test is not None:
        if not isinstance(test, list) or not all(isinstance(t, str) for t in test):
            raise InvalidArgument("Healthcheck.Test must be a list of strings")
        if test and test[0] not in ("CMD", "CMD-SHELL", "NONE", ""):
            raise InvalidArgument(f"unknown healthcheck type '{test[0][:32]}'; use CMD, "
                                  "CMD-SHELL or NONE")  # fmt: skip
        if test and test[0] in ("CMD", "CMD-SHELL") and len(test) < 2:
            raise InvalidArgument("Healthcheck.Test needs a command after CMD or CMD-SHELL")
    for key in _DURATIONS:
        number = value.get(key)
        if number is None or number == 0:
            continue
        if not isinstance(number, int) or isinstance(number, bool) or number < MIN_DURATION:
            noun = {"StartPeriod": "Start period", "StartInterval": "Start interval"}.get(key, key)
            raise InvalidArgument(f"{noun} in Healthcheck cannot be less than 1ms")
    retries = value.get("Retries")
    if retries is not None and (not isinstance(retries, int) or isinstance(retries, bool)
                                or retries < 0):  # fmt: skip
        raise InvalidArgument("Retries in Healthcheck cannot be negative")


def health_config(
    given: dict[str, Any] | None, image: dict[str, Any] | None
) -> HealthConfig | None:
    """The healthcheck to run: the container's fields over the image's, as Docker merges
    them; None without one, or with `--no-healthcheck` (Test ["NONE"])."""
    given, image = given or {}, image or {}
    test = list(given.get("Test") or image.get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    command = ("sh", "-c", " ".join(test[1:])) if test[0] == "CMD-SHELL" else tuple(test[1:])

    def pick(key: str, default: int) -> int:
        value = given.get(key) or image.get(key)
        return int(value) if isinstance(value, int) and value > 0 else default

    retries = given.get("Retries") or image.get("Retries")
    return HealthConfig(
        test=command,
        interval_ns=pick("Interval", DEFAULT_INTERVAL),
        timeout_ns=pick("Timeout", DEFAULT_TIMEOUT),
        start_period_ns=pick("StartPeriod", 0),
        start_interval_ns=pick("StartInterval", DEFAULT_START_INTERVAL),
        retries=int(retries) if isinstance(retries, int) and retries > 0 else DEFAULT_RETRIES,
    )
