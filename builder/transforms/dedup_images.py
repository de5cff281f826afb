"""`type: dedup_images`: drop exact copies of an image, and near copies by perceptual hash.

```yaml
transforms:
  unique_images:
    type: dedup_images
    column: image          # the encoded images (the default)
    threshold: 6           # near copy: hashes at most 6 bits apart (0: exact copies only)
    hash: phash            # imagehash's phash, dhash, average_hash or whash
```

Not row-wise, like `dedup`: each partition reports two 64-bit keys per row (a hash of the
bytes, a perceptual hash of the pixels, `builder.images.hashing`), and the ingest stage keeps,
over the whole table in order, the first row of each group of copies. Run at ingest, before the
split, it leaves no near copy of an evaluation image in train.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig
from builder.transforms.base import Transform

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: The largest `threshold`: past it, unrelated 64-bit hashes start to pass as copies.
MAX_THRESHOLD = 16


@dataclass(kw_only=True)
class DedupImagesConfig(TransformConfig):
    """`column` (encoded images), `threshold` (bits), `hash` (perceptual hash kind)."""

    column: str = "image"
    threshold: int = 6
    hash: Literal["phash", "dhash", "average_hash", "whash"] = "phash"

    def check(self, ctx: CheckContext) -> Problems:
        if not 0 <= self.threshold <= MAX_THRESHOLD:
            yield "threshold", (f"found {self.threshold}, expected a number of bits from 0 "
                                f"(exact copies only) to {MAX_THRESHOLD}.")


@TRANSFORMS.register("dedup_images")
class DedupImages(Transform):
    """Keeps the first of each group of exact or near copies, in the table's order."""

    Config = DedupImagesConfig
    rowwise = False

    def column_refs(self) -> list[tuple[str, str]]:
        return [("column", self.config.column)]

    def keys(self, df: pd.DataFrame) -> np.ndarray:
        """Per row: (hash of the bytes, perceptual hash), an (n, 2) uint64 array."""
        import numpy as np

        from builder.images.hashing import exact_hashes, perceptual_hashes

        require_columns(df, [self.config.column], self.owner)
        images = df[self.config.column].to_numpy(dtype=object)
        exact = exact_hashes(images)
        if self.config.threshold == 0:
            return np.stack([exact, exact], axis=1)
        return np.stack([exact, perceptual_hashes(images, self.config.hash)], axis=1)

    def keep_mask(self, keys: np.ndarray) -> np.ndarray:
        """Which rows of the whole table (its keys in table order) are kept."""
        import numpy as np
        import pandas as pd

        from builder.images.hashing import near_duplicate_mask

        keys = keys.reshape(-1, 2)
        keep = ~pd.Series(keys[:, 0]).duplicated().to_numpy()
        if self.config.threshold > 0:
            survivors = np.flatnonzero(keep)
            near = near_duplicate_mask(keys[survivors, 1], self.config.threshold)
            keep[survivors[~near]] = False
        return keep

    def apply(self, df):
        return df[self.keep_mask(self.keys(df))]
