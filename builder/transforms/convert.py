"""`type: convert`: change images' mode (`RGB`, `L` for grey ...) and/or their encoding
`format`; the `mode` column follows.

```yaml
transforms:
  grey:
    type: convert
    column: image
    mode: L          # optional: 1, L, LA, P, RGB, RGBA, CMYK, I or F
    format: PNG      # optional: PNG, JPEG, WEBP, BMP or TIFF
```
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.images.codec import MODES
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig
from builder.transforms.base import Transform
from builder.transforms.image_rewrite import check_format, rewrite_images


@dataclass(kw_only=True)
class ConvertConfig(TransformConfig):
    """`column`, `mode` and/or `format`."""

    column: str = "image"
    mode: str | None = None
    format: str | None = None

    def check(self, ctx: CheckContext) -> Problems:
        if self.mode is None and self.format is None:
            yield "mode", "is missing, and so is format; expected at least one of them."
        if self.mode is not None and self.mode not in MODES:
            yield "mode", f"found '{self.mode}', expected one of {', '.join(MODES)}."
        yield from check_format(self.format)


@TRANSFORMS.register("convert")
class Convert(Transform):
    """Row-wise: decodes each image, converts its mode and re-encodes it."""

    Config = ConvertConfig

    def column_refs(self) -> list[tuple[str, str]]:
        return [("column", self.config.column)]

    def apply(self, df):
        mode = self.config.mode

        def change(image):
            return image.convert(mode) if mode is not None and image.mode != mode else image

        return rewrite_images(df, self.config.column, change, self.config.format, self.owner)
