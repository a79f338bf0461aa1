"""Image references and digests, normalised by Docker's distribution/reference rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tuibox.engine.domain.errors import InvalidArgument

DOCKER_HUB = "docker.io"
DEFAULT_TAG = "latest"
_LEGACY_HUB = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_MAX_NAME_LENGTH = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
# Always fullmatch with re.ASCII: `$` accepts a trailing newline and `\w` accepts any letter.
_REFERENCE_RE = re.compile(
    rf"((?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?",
    re.ASCII,
)
_TAG_RE = re.compile(_TAG, re.ASCII)
_SHA256_RE = re.compile(r"sha256:[a-f0-9]{64}", re.ASCII)
_HEX64_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)


def is_sha256_digest(text: str) -> bool:
    """True when `text` is exactly `sha256:` followed by 64 lowercase hex digits."""
    return bool(_SHA256_RE.fullmatch(text))


def validate_digest(text: str) -> str:
    """Return `text` when it is a well-formed sha256 digest, safe to use in URLs and paths.

    Raises:
        InvalidArgument: another algorithm, a wrong length or non-hex characters.
    """
    algorithm, sep, encoded = text.partition(":")
    if not sep or not algorithm or not encoded:
        raise InvalidArgument(f"invalid checksum digest format: {text!r}")
    if algorithm != "sha256":
        raise InvalidArgument(f"unsupported digest algorithm: {algorithm}")
    if len(encoded) != 64:
        raise InvalidArgument(f"invalid checksum digest length: {text!r}")
    if not _HEX64_RE.fullmatch(encoded):
        raise InvalidArgument(f"invalid checksum digest format: {text!r}")
    return text


@dataclass(frozen=True)
class Reference:
    """A normalised image reference: docker.io/library/busybox:latest or host:5000/x@sha256:..."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """Fully qualified repository name: docker.io/library/busybox."""
        return f"{self.domain}/{self.path}"

    @property
    def repository(self) -> str:
        """Repository path inside the registry: library/busybox."""
        return self.path

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == DOCKER_HUB

    @property
    def familiar_name(self) -> str:
        """The short name Docker shows: busybox, foo/bar, localhost:5000/x."""
        if not self.is_docker_hub:
            return self.name
        if self.path.startswith(_OFFICIAL_PREFIX) and self.path.count("/") == 1:
            return self.path[len(_OFFICIAL_PREFIX) :]
        return self.path

    @property
    def familiar(self) -> str:
        """Familiar form with tag and digest, as in RepoTags and status texts."""
        return self.familiar_name + self._suffix()

    def with_tag(self, tag: str) -> Reference:
        """The same repository with `tag` and no digest."""
        return replace(self, tag=tag, digest=None)

    def with_digest(self, digest: str) -> Reference:
        """The same repository with `digest` and no tag."""
        return replace(self, tag=None, digest=digest)

    def _suffix(self) -> str:
        text = f":{self.tag}" if self.tag else ""
        return text + (f"@{self.digest}" if self.digest else "")

    def __str__(self) -> str:
        return self.name + self._suffix()


def parse_reference(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise an image reference the way Docker does.

    Args:
        text: what the user typed: busybox, foo/bar:1, localhost:5000/x@sha256:...
        default_tag: add the tag `latest` when neither tag nor digest is given.

    Returns:
        The normalised reference; a digest wins over a tag when both are present.

    Raises:
        InvalidArgument: with Docker's text, "invalid reference format" and its variants.
    """
    if _HEX64_RE.fullmatch(text):
        raise InvalidArgument(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = _split_domain(text)
    remote_name = remainder.split(":", 1)[0].split("@", 1)[0]
    if remote_name.lower() != remote_name:
        raise InvalidArgument(
            f"invalid reference format: repository name ({remote_name}) must be lowercase"
        )
    match = _REFERENCE_RE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        raise InvalidArgument("invalid reference format")
    full_name, tag, digest = match.groups()
    if len(full_name) > _MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"invalid reference format: repository name must not be more than "
            f"{_MAX_NAME_LENGTH} characters"
        )
    if digest is not None:
        validate_digest(digest)
        tag = None
    elif tag is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain=domain, path=remainder_path(full_name, domain), tag=tag, digest=digest)


def remainder_path(full_name: str, domain: str) -> str:
    """The repository path of `full_name` once its `domain/` prefix is removed."""
    return full_name[len(domain) + 1 :]


def validate_tag(tag: str) -> str:
    """Return `tag` when it matches Docker's tag grammar.

    Raises:
        InvalidArgument: the tag is empty, too long or has a forbidden character.
    """
    if not _TAG_RE.fullmatch(tag):
        raise InvalidArgument(f"invalid tag format: {tag!r}")
    return tag


def _split_domain(text: str) -> tuple[str, str]:
    first, sep, rest = text.partition("/")
    if not sep or (
        "." not in first and ":" not in first and first != "localhost" and first.lower() == first
    ):
        domain, remainder = DOCKER_HUB, text
    else:
        domain, remainder = first, rest
    if domain == _LEGACY_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = _OFFICIAL_PREFIX + remainder
    return domain, remainder
