"""Provides the Images pane's questions: what a removal or a prune would do, said before (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from tuibox.client.models import ContainerSummary, ImageSummary
from tuibox.widgets.format import NO_TAG, human_size, short_id
from tuibox.widgets.image_table import ImageRow

PRUNE_LISTED = 12
"""How many of the images a prune would remove the question names one by one."""


def _users(image: ImageSummary, containers: Sequence[ContainerSummary]) -> list[ContainerSummary]:
    return [c for c in containers if c.image_id == image.id]


def removal_question(row: ImageRow, containers: Sequence[ContainerSummary]) -> tuple[str, bool]:
    """The question before removing `row`, and whether to force it as `docker rmi -f` would.

    A tag of an image with other tags is only untagged (nothing to force). The last name of
    an image that stopped containers use is removed only by force (they stay, showing the
    image's ID); running ones forbid it even forced, so the engine is asked without force
    and its refusal shown.
    """
    users = _users(row.image, containers)
    question = f"Delete image {row.reference} ({short_id(row.image.id)})?"
    others = [tag for tag in row.image.tags if tag != row.reference]
    if row.reference != NO_TAG and others:
        return (f"Untag {row.reference}? The image stays under {', '.join(others)}"
                + (f" (used by {', '.join(c.name for c in users)})." if users else "."),
                False)  # fmt: skip
    running = [c.name for c in users if c.is_running]
    stopped = [c.name for c in users if not c.is_running]
    if running:
        question += (f"\nRunning containers use it: {', '.join(running)}. The engine refuses "
                     "while they run (that cannot be forced); stop and remove them first.")
        return question, False
    if stopped:
        question += (f"\nStopped containers use it: {', '.join(stopped)}. As docker rmi -f, "
                     "it is removed by force; they stay, naming the image by its ID.")
        return question, True
    return question, False


def prune_candidates(images: Sequence[ImageSummary], containers: Sequence[ContainerSummary],
                     *, every_unused: bool) -> list[ImageSummary]:  # fmt: skip
    """What `docker image prune` removes: the dangling images no container uses, or (-a)
    every image no container uses."""
    return [image for image in images if not _users(image, containers)
            and (every_unused or not image.tags)]  # fmt: skip


def prune_question(doomed: Sequence[ImageSummary], every_unused: bool) -> str:
    """The confirmation of a prune, naming what goes (the first PRUNE_LISTED) and its size."""
    kind = "unused" if every_unused else "dangling"
    names = [f"  {', '.join(image.tags) or NO_TAG} ({short_id(image.id)}, "
             f"{human_size(image.size)})" for image in doomed[:PRUNE_LISTED]]  # fmt: skip
    more = len(doomed) - PRUNE_LISTED
    total = human_size(sum(image.size for image in doomed))
    return (f"Remove {len(doomed)} {kind} image(s), {total} in all?\n" + "\n".join(names)
            + (f"\n  … and {more} more" if more > 0 else ""))  # fmt: skip
