"""The report's image sections (`builder report` of an image task): the sample picture per
class, and image sizes and modes per split."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from builder.export.report import Plot


def image_plots(metrics: dict, df: pd.DataFrame | None, hub: Path) -> list[Plot]:
    """Thumbnails per class (the card's `samples.png`, inlined) and sizes and modes per split
    (from the rows' `width`, `height` and `mode` columns)."""
    from builder.export.report import Plot

    figures = (metrics.get("export") or {}).get("images") or {}
    thumbnails = Plot("image-samples", "Sample images per class",
                      "The first images of each class in the "
                      f"`{figures.get('samples_split', 'train')}` split (the card's picture).")
    picture = hub / figures.get("samples", "samples.png")
    if picture.is_file():
        data = base64.b64encode(picture.read_bytes()).decode()
        thumbnails.html = (f'<img alt="sample images per class" style="max-width: 100%" '
                           f'src="data:image/png;base64,{data}">')
    else:
        thumbnails.note = f"{picture} is missing: run the export stage."
    return [thumbnails, size_and_mode(df)]


def size_and_mode(df: pd.DataFrame | None) -> Plot:
    from builder.export.report import Plot, _subplots

    plot = Plot("image-sizes", "Image sizes and modes per split",
                "Images per width, per height (pixels) and per mode (`L`, `RGB` ...) in each "
                "split, made rows included.")
    if df is None or not {"width", "height", "mode", "split"} <= set(df.columns):
        plot.note = "the rows have no width, height and mode columns (an image source adds them)."
        return plot
    import plotly.graph_objects as go

    fig, _ = _subplots(3, ["width", "height", "mode"], barmode="group")
    splits = [str(s) for s in df["split"].astype("string").dropna().unique()]
    for i, column in enumerate(("width", "height", "mode")):
        for split in splits:
            values = df.loc[df["split"].astype("string") == split, column].astype(str)
            counts: Any = values.value_counts().sort_index()
            fig.add_trace(go.Bar(name=split, x=list(counts.index), y=counts.tolist(),
                                 legendgroup=split, showlegend=i == 0), row=1, col=i + 1)
    plot.figure = fig
    return plot
