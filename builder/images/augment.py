"""Seeded image augmentations for the `augment` balance strategy (an oversample whose copies
are new pictures), with albumentations: flips, a random resized crop, a rotation and colour
jitter, each copy drawn from a seed of the recipe seed and the copy's `_id`.

```yaml
balance:
  target: balanced
  strategy: augment
  augment: {flip: true, crop: 0.8, rotate: 15, color_jitter: 0.2, near_copy_bits: 6}
```

A made image must not be a near copy of an evaluation image: its perceptual hash is compared
with those of every validation and test image (`near_copy_bits` apart at most is a copy), and a
copy that is too close is drawn again with the next seed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from builder.balance.augment_config import AugmentConfig

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from builder.context import Context

#: Draws of one copy before giving up on one that is no near copy of an evaluation image.
ATTEMPTS = 10


def pipeline(config: AugmentConfig, height: int, width: int):
    """The albumentations pipeline for an image of this size."""
    import albumentations as A

    steps = []
    if config.flip:
        steps.append(A.HorizontalFlip(p=0.5))
    if config.crop < 1:
        steps.append(A.RandomResizedCrop(size=(height, width), scale=(config.crop, 1.0), p=1.0))
    if config.rotate:
        steps.append(A.Rotate(limit=config.rotate, border_mode=0, p=1.0))
    if config.color_jitter:
        j = config.color_jitter
        steps.append(A.ColorJitter(brightness=j, contrast=j, saturation=j, hue=0.0, p=1.0))
    return A.Compose(steps)


def augment_image(data: bytes, config: AugmentConfig, seed: int) -> bytes:
    """One augmented copy of an encoded image, in its own format and mode."""
    import numpy as np
    from PIL import Image

    from builder.images.codec import decode, encode

    image = decode(data)
    pixels = np.asarray(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    transform = pipeline(config, pixels.shape[0], pixels.shape[1])
    transform.set_random_seed(seed)
    out = Image.fromarray(transform(image=pixels)["image"])
    if out.mode != image.mode and image.mode in ("L", "RGB", "RGBA"):
        out = out.convert(image.mode)
    return encode(out, image.format or "PNG")


@functools.lru_cache(maxsize=4)
def evaluation_hashes(folder: str, column: str, stamp: float) -> np.ndarray:
    """Perceptual hashes of every validation and test image of a split artifact (`stamp`, the
    folder's modification time, keys the cache)."""
    import numpy as np

    from builder.images.hashing import perceptual_hashes
    from builder.partitions import read_part
    from builder.rows import SPLIT

    hashes = []
    for path in sorted(Path(folder).glob("part-*.arrow")):
        part = read_part(path, columns=[column, SPLIT])
        held_out = part[part[SPLIT] != "train"]
        hashes.append(perceptual_hashes(held_out[column].to_numpy(dtype=object)))
    return np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)


def augment_rows(rows: pd.DataFrame, ctx: Context, source: Path) -> pd.DataFrame:
    """Copies of train rows (`_id` `<source id>+<k>`) as augmented pictures: each image drawn
    from the seed of its copy's id, drawn again while it is a near copy of an evaluation image
    of the split artifact `source`; `width`, `height` and `mode` follow."""
    import pandas as pd

    from builder.context import derive_seed
    from builder.errors import DataError
    from builder.images.codec import decode
    from builder.images.hashing import near_copies, perceptual_hashes
    from builder.rows import ID

    task, config = ctx.recipe.task, ctx.recipe.balance.augment
    if not len(rows):
        return rows
    held_out = evaluation_hashes(str(source), task.image, source.stat().st_mtime)
    images = []
    for row_id, data in zip(rows[ID], rows[task.image]):
        for attempt in range(ATTEMPTS):
            made = augment_image(data, config, derive_seed(ctx.recipe.seed, "augment", row_id,
                                                           str(attempt)))
            near = near_copies(perceptual_hashes([made]), held_out, config.near_copy_bits)
            if not near[0]:
                break
        else:
            raise DataError(
                f"balance.augment: every one of {ATTEMPTS} augmented copies of row {row_id} is "
                f"within {config.near_copy_bits} bits of an evaluation image; expected "
                "stronger augmentations, a smaller near_copy_bits, or a dedup_images transform.")
        images.append(made)
    rows = rows.copy()
    rows[task.image] = pd.Series(images, index=rows.index, dtype=object)
    decoded = [decode(data) for data in images]
    for name, values in (("width", [i.width for i in decoded]),
                         ("height", [i.height for i in decoded]),
                         ("mode", [i.mode for i in decoded])):
        if name in rows.columns:
            rows[name] = pd.Series(values, index=rows.index).astype(rows[name].dtype)
    return rows
