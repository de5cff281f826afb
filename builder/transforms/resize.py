"""`type: resize`: scale images down so that their longer side is at most `max_side` (aspect
kept), optionally re-encoded in another `format`; `width` and `height` follow.

```yaml
transforms:
  small:
    type: resize
    column: image
    max_side: 256
    format: PNG      # optional: PNG, JPEG, WEBP, BMP or TIFF (default: each image's own)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from builder.images.codec import fit_within
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig
from builder.transforms.base import Transform
from builder.transforms.image_rewrite import check_format, rewrite_images


@dataclass(kw_only=True)
class ResizeConfig(TransformConfig):
    """`column`, `max_side` (pixels), `format` (optional)."""

    column: str = "image"
    max_side: int
    format: str | None = None

    def check(self, ctx: CheckContext) -> Problems:
        if self.max_side < 1:
            yield "max_side", f"found {self.max_side}, expected a positive number of pixels."
        yield from check_format(self.format)


@TRANSFORMS.register("resize")
class Resize(Transform):
    """Row-wise: decodes, scales down (Lanczos) and re-encodes each image that is too large
    (or every image, when `format` changes)."""

    Config = ResizeConfig

    def column_refs(self) -> list[tuple[str, str]]:
        return [("column", self.config.column)]

    def apply(self, df):
        return rewrite_images(df, self.config.column, partial(fit_within,
                              max_side=self.config.max_side), self.config.format, self.owner)
