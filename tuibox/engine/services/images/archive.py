"""ImageArchive: docker save and docker load, over the image service's stores and lock."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from tuibox.engine.services.images.load import ImageLoader
from tuibox.engine.services.images.save import ImageSaver
from tuibox.engine.services.images.service import ImageService


class ImageArchive:
    """Built once beside the ImageService it shares the store lock and retention with.

    It lives outside ImageService because saving streams through the containers' thread
    pipe (services/containers/tar_pipe), whose package imports the image service.
    """

    def __init__(self, images: ImageService) -> None:
        stores = (images.content, images.layers, images.images)
        self.images = images
        self.saver = ImageSaver(stores, images.store_lock, images.retention, images.resolve)
        self.loader = ImageLoader(stores, images.store_lock, images.retention, images.limits,
                                  images.publish)  # fmt: skip

    async def save(self, names: list[str]) -> AsyncIterator[bytes]:
        """The docker-archive tar of the named images (see save.py); checks come first.

        Raises:
            NotFound, InvalidArgument: before the first chunk.
            OSError: the stream broke off.
        """
        plan = self.saver.plan(names)
        async for chunk in self.saver.save(names):
            yield chunk
        for item in plan:
            self.images.publish("save", item.record.id, item.tags[0].familiar if item.tags else "")

    def load(self, body: AsyncIterator[bytes], quiet: bool) -> AsyncGenerator[dict[str, Any], None]:
        """Load a docker-archive tar; dockerd's messages (see load.py)."""
        return self.loader.load(body, quiet)
