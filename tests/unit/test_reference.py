"""Reference parsing and normalisation follow Docker's distribution/reference rules."""

from __future__ import annotations

import pytest

from tuibox.engine.domain.errors import InvalidArgument
from tuibox.engine.domain.reference import (
    is_sha256_digest,
    parse_reference,
    validate_digest,
    validate_tag,
)

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "normalised", "familiar"),
    [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("foo/bar", "docker.io/foo/bar:latest", "foo/bar:latest"),
        ("foo/bar/baz:v1", "docker.io/foo/bar/baz:v1", "foo/bar/baz:v1"),
        ("localhost/foo", "localhost/foo:latest", "localhost/foo:latest"),
        ("localhost:5000/x/y", "localhost:5000/x/y:latest", "localhost:5000/x/y:latest"),
        ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase:latest",
         "127.0.0.1:8000/private/moonbase:latest"),
        ("example.com:8000/privatebase", "example.com:8000/privatebase:latest",
         "example.com:8000/privatebase:latest"),
        ("LOCALDOMAIN/foo", "LOCALDOMAIN/foo:latest", "LOCALDOMAIN/foo:latest"),
        ("[::1]:5000/foo", "[::1]:5000/foo:latest", "[::1]:5000/foo:latest"),
        ("a_b__c-d--e/g", "docker.io/a_b__c-d--e/g:latest", "a_b__c-d--e/g:latest"),
        ("my.host/a_b.c", "my.host/a_b.c:latest", "my.host/a_b.c:latest"),
    ],
)
def test_normalisation(text: str, normalised: str, familiar: str) -> None:
    reference = parse_reference(text)
    assert str(reference) == normalised
    assert reference.familiar == familiar


def test_parts_of_a_hub_reference() -> None:
    reference = parse_reference("busybox")
    assert (reference.domain, reference.path, reference.tag, reference.digest) == (
        "docker.io", "library/busybox", "latest", None,
    )
    assert reference.repository == "library/busybox"
    assert reference.is_docker_hub
    assert reference.familiar_name == "busybox"
    assert not parse_reference("localhost:5000/x").is_docker_hub


def test_digest_reference_gets_no_default_tag() -> None:
    reference = parse_reference(f"ubuntu@{DIGEST}")
    assert reference.tag is None
    assert reference.digest == DIGEST
    assert str(reference) == f"docker.io/library/ubuntu@{DIGEST}"


def test_digest_wins_over_tag() -> None:
    reference = parse_reference(f"ubuntu:22.04@{DIGEST}")
    assert (reference.tag, reference.digest) == (None, DIGEST)


def test_no_default_tag_when_asked() -> None:
    assert parse_reference("busybox", default_tag=False).tag is None


def test_with_tag_and_with_digest() -> None:
    reference = parse_reference("foo/bar:1")
    assert str(reference.with_tag("2")) == "docker.io/foo/bar:2"
    assert reference.with_digest(DIGEST).familiar == f"foo/bar@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:bar:baz", "invalid reference format"),
        ("Foo", "repository name (library/Foo) must be lowercase"),
        ("docker.io/Foo/bar", "must be lowercase"),
        ("", "invalid reference format"),
        ("busybox:", "invalid reference format"),
        (":tag", "invalid reference format"),
        ("foo/", "invalid reference format"),
        ("foo//bar", "invalid reference format"),
        ("-foo", "invalid reference format"),
        ("foo_", "invalid reference format"),
        ("busybox:" + "t" * 129, "invalid reference format"),
        ("a" * 64, "cannot specify 64-byte hexadecimal strings"),
        ("x/" + "a" * 260, "must not be more than 255 characters"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("busybox@sha256:" + "a" * 40, "invalid checksum digest length"),
        ("busybox@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("busybox@sha256:" + "A" * 64, "invalid checksum digest format"),
    ],
)
def test_invalid_references(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_reference(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("text", ["sha256:", "sha256:zz", "../../etc", "sha256:" + "a" * 63])
def test_validate_digest_refuses(text: str) -> None:
    with pytest.raises(InvalidArgument):
        validate_digest(text)


def test_validate_digest_accepts() -> None:
    assert validate_digest(DIGEST) == DIGEST


@pytest.mark.parametrize("tag", ["v1\n", "tést", "v\u0661", ""])
def test_tags_with_a_newline_or_non_ascii_letters_are_refused(tag: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid tag format"):
        validate_tag(tag)
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        parse_reference(f"busybox:{tag}" if tag else "busybox:")


@pytest.mark.parametrize("text", ["busybox\n", "busybox:latest\n", f"b@sha256:{'a' * 64}\n"])
def test_references_with_a_trailing_newline_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid reference format"):
        parse_reference(text)


def test_digest_checks_refuse_a_trailing_newline() -> None:
    assert not is_sha256_digest("sha256:" + "a" * 64 + "\n")
    assert is_sha256_digest("sha256:" + "a" * 64)
    assert validate_tag("v1.0_rc-2") == "v1.0_rc-2"
