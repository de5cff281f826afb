"""What the report shows of an image task (`builder.export.report` draws it): the per-class
sample picture, inlined, and image widths, heights and modes per split."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

#: The columns image sources add, counted per split.
SHAPE_COLUMNS = ("width", "height", "mode")


def samples_html(metrics: dict, hub: Path) -> tuple[str | None, str]:
    """(an `<img>` of the card's `samples.png` inlined, or None; the split it shows or why it
    is missing)."""
    figures = (metrics.get("export") or {}).get("images") or {}
    picture = hub / figures.get("samples", "samples.png")
    if not picture.is_file():
        return None, f"{picture} is missing: run the export stage."
    data = base64.b64encode(picture.read_bytes()).decode()
    return (f'<img alt="sample images per class" style="max-width: 100%" '
            f'src="data:image/png;base64,{data}">', figures.get("samples_split", "train"))


def shape_counts(df: pd.DataFrame | None) -> dict[str, dict[str, dict[str, int]]] | None:
    """Per column of `SHAPE_COLUMNS`, per split: images per value (None without them)."""
    if df is None or not {*SHAPE_COLUMNS, "split"} <= set(df.columns):
        return None
    splits = df["split"].astype("string")
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for column in SHAPE_COLUMNS:
        counts[column] = {}
        for split in [str(s) for s in splits.dropna().unique()]:
            values = df.loc[splits == split, column].astype(str).value_counts().sort_index()
            counts[column][split] = {str(k): int(v) for k, v in values.items()}
    return counts
