"""Provides image reference checks and splits, in the docker CLI's words (pure)."""

from __future__ import annotations

import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*"  \
          r"[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"  # fmt: skip
_NAME = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
DEFAULT_TAG = "latest"


def split_reference(reference: str) -> tuple[str, str]:
    """(name, tag or digest) of `reference`; "latest" when it names neither, as the CLI does.

    >>> split_reference("localhost:5000/app@sha256:ab")
    ('localhost:5000/app', 'sha256:ab')
    """
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name, digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1:]
    return reference, DEFAULT_TAG


def reference_problem(reference: str) -> str | None:
    """What the engine would refuse in an image reference, in the docker CLI's words; None
    when it will do."""
    if not reference or reference != reference.strip() or any(c.isspace() for c in reference):
        return "invalid reference format"
    name_part, _, digest = reference.partition("@")
    slash, colon = name_part.rfind("/"), name_part.rfind(":")
    tagged = colon > slash
    name, tag = (name_part[:colon], name_part[colon + 1:]) if tagged else (name_part, "")
    if "@" in reference and not _DIGEST.match(digest):
        return "invalid reference format"
    if tagged and not _TAG.match(tag):
        return "invalid reference format"
    if not _NAME.match(name):
        lowered = _lower_path(name)
        if lowered != name and _NAME.match(lowered):
            return f"invalid reference format: repository name ({name}) must be lowercase"
        return "invalid reference format"
    return None


def _lower_path(name: str) -> str:
    """`name` with its path (not its registry host) lowercased."""
    head, sep, rest = name.partition("/")
    if sep and ("." in head or ":" in head or head == "localhost"):
        return f"{head}/{rest.lower()}"
    return name.lower()
