"""What `resize` and `convert` share: check a format name, rewrite a column of encoded images
and the `width`, `height` and `mode` columns beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from builder.errors import DataError, require_columns
from builder.images.codec import FORMATS, rewrite
from builder.recipe.schema import Problems

if TYPE_CHECKING:
    import pandas as pd


def check_format(format: str | None) -> Problems:
    if format is not None and format not in FORMATS:
        yield "format", f"found '{format}', expected one of {', '.join(FORMATS)}."


def rewrite_images(df: pd.DataFrame, column: str, change: Callable, format: str | None,
                   owner: str) -> pd.DataFrame:
    """`df` with each image of `column` changed and re-encoded; `width`, `height` and `mode`
    updated where the frame has them."""
    import pandas as pd

    require_columns(df, [column], owner)
    images, widths, heights, modes = [], [], [], []
    for i, data in enumerate(df[column].to_numpy(dtype=object)):
        try:
            out, width, height, mode = rewrite(data, change, format)
        except (OSError, ValueError) as error:
            raise DataError(f"{owner}: cannot rewrite the image of row {i} of a partition "
                            f"({error}); expected images verified by an image source.") from error
        images.append(out)
        widths.append(width)
        heights.append(height)
        modes.append(mode)
    df = df.copy()
    df[column] = pd.Series(images, index=df.index, dtype=object)
    for name, values in (("width", widths), ("height", heights)):
        if name in df.columns:
            df[name] = pd.Series(values, index=df.index, dtype=df[name].dtype)
    if "mode" in df.columns:
        df["mode"] = pd.Series(modes, index=df.index, dtype=df["mode"].dtype)
    return df
