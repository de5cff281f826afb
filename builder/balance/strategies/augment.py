"""`augment`: an oversample of an image class whose copies are new pictures (seeded
augmentations of its train images, `builder.images.augment`), `_origin: augmented`."""

from __future__ import annotations

from typing import Any

from builder.balance.strategies.base import STRATEGIES
from builder.balance.strategies.oversample import Oversample


@STRATEGIES.register("augment")
class Augment(Oversample):
    """Random over-sampling as `oversample` chooses the rows; each copy is an augmented image
    (`balance.augment`), never a near copy of an evaluation image. The `_id` of a copy is its
    source image's id followed by `+k`."""

    origin = "augmented"
    suggested = False  # image tasks only: messages about any task do not offer it
    description = "over-sampling with seeded image augmentations"
    rank = 15

    def problem(self, recipe: Any) -> str | None:
        if recipe.task.type != "image-classification":
            return (f"is 'augment', which makes new pictures, in a {recipe.task.type} task; "
                    "expected oversample, or an image-classification task.")
        return None
