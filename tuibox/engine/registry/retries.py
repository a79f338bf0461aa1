"""When to send a registry request again: 429 and 5xx with backoff or Retry-After, and
how a dropped blob download resumes with a Range request."""

from __future__ import annotations

import email.utils
import time

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRIES = 3
"""Attempts after the first for a GET or HEAD answered with a retryable status."""
MAX_RESUMES = 3
"""Range requests after a blob download dropped mid-way."""
MAX_RETRY_AFTER = 30.0
"""Seconds at most waited for a Retry-After; a longer one is waited this long."""
_BACKOFF = 0.5


def retry_delay(response: httpx.Response, retries_done: int) -> float | None:
    """Seconds to wait before sending again, or None when this answer is final.

    Only idempotent requests (GET, HEAD) are sent again; Retry-After (seconds or an HTTP
    date) is honoured up to MAX_RETRY_AFTER, else the backoff doubles from 0.5 s.
    """
    if response.request.method not in ("GET", "HEAD"):
        return None
    if response.status_code not in RETRY_STATUSES or retries_done >= MAX_RETRIES:
        return None
    header = response.headers.get("retry-after", "").strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER)
    if header:
        when = email.utils.parsedate_to_datetime(header) if _is_date(header) else None
        if when is not None:
            return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)
    return float(_BACKOFF * 2**retries_done)


def _is_date(text: str) -> bool:
    try:
        email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True


def resumed_at(response: httpx.Response) -> int | None:
    """Where a 206 answer to `Range: bytes=N-` starts (None: not a usable partial answer)."""
    if response.status_code != 206:
        return None
    content_range = response.headers.get("content-range", "")
    unit, _, rest = content_range.partition(" ")
    start = rest.split("-", 1)[0]
    return int(start) if unit == "bytes" and start.isdigit() else None
