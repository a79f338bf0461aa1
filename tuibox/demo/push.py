"""Pushes demo images to a registry over plain HTTP with the OCI distribution API."""

from __future__ import annotations

import httpx

from tuibox.demo.images import Blob, BuiltImage, build_demo_images

PUSH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class PushError(Exception):
    """The registry refused part of a push; the text carries its status and error body."""


def push_image(
    registry_url: str,
    image: BuiltImage,
    repository: str | None = None,
    *,
    tag: str | None = None,
) -> str:
    """Push an image's blobs (skipping those present) and its manifest.

    Args:
        registry_url: the registry base, e.g. ``http://127.0.0.1:5000``.
        image: the image to push.
        repository: the repository path; ``library/<name>`` by default.
        tag: the tag to push; the image's own by default.

    Returns:
        The manifest digest, checked against the registry's ``Docker-Content-Digest``.

    Raises:
        PushError: the registry answered an unexpected status or digest.
        httpx.HTTPError: the registry could not be reached.
    """
    repo = repository or image.repository
    with httpx.Client(base_url=registry_url.rstrip("/"), timeout=PUSH_TIMEOUT) as client:
        for blob in (*image.layers, image.config):
            if not _blob_exists(client, repo, blob):
                _upload_blob(client, repo, blob)
        return _put_manifest(client, repo, tag or image.tag, image.manifest)


def seed_registry(registry_url: str, images: list[BuiltImage] | None = None) -> dict[str, str]:
    """Push the demo images (built here unless given) as Docker Hub's ``library/`` images.

    Args:
        registry_url: the registry base, e.g. ``http://127.0.0.1:5000``.
        images: the images to push; ``build_demo_images()`` by default.

    Returns:
        The manifest digest of each image, keyed by its short name (``hello-world``).
    """
    built = images if images is not None else build_demo_images()
    return {image.name: push_image(registry_url, image) for image in built}


def _blob_exists(client: httpx.Client, repo: str, blob: Blob) -> bool:
    response = client.head(f"/v2/{repo}/blobs/{blob.digest}")
    if response.status_code == 404:
        return False
    _expect(response, 200, f"check blob {blob.digest}")
    return True


def _upload_blob(client: httpx.Client, repo: str, blob: Blob) -> None:
    started = client.post(f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
    _expect(started, 202, f"start upload of {blob.digest}")
    location = started.headers.get("Location")
    if not location:
        raise PushError(f"registry started an upload of {blob.digest} without a Location")
    target = client.base_url.join(location).copy_merge_params({"digest": blob.digest})
    finished = client.put(
        target,
        content=blob.data,
        headers={"Content-Type": "application/octet-stream"},
    )
    _expect(finished, 201, f"upload {blob.digest}")
    _check_digest(finished, blob.digest, f"blob {blob.digest}")


def _put_manifest(client: httpx.Client, repo: str, tag: str, manifest: Blob) -> str:
    response = client.put(
        f"/v2/{repo}/manifests/{tag}",
        content=manifest.data,
        headers={"Content-Type": manifest.media_type},
    )
    _expect(response, 201, f"put manifest {repo}:{tag}")
    _check_digest(response, manifest.digest, f"manifest {repo}:{tag}")
    return manifest.digest


def _expect(response: httpx.Response, status: int, action: str) -> None:
    if response.status_code != status:
        body = response.text[:500].strip()
        raise PushError(
            f"registry {response.request.url.host}:{response.request.url.port} refused to "
            f"{action}: HTTP {response.status_code} {body}"
        )


def _check_digest(response: httpx.Response, expected: str, what: str) -> None:
    reported = response.headers.get("Docker-Content-Digest")
    if reported != expected:
        raise PushError(f"registry stored {what} as {reported}, expected {expected}")
