"""What the export adds for an image task: figures about the published images (modes, sizes,
per split) and a picture of sample images per class (`samples.png` in the Hub folder), which
the card shows (`builder.images.card`)."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

    from builder.context import Context

#: The sample picture's file name in the Hub folder.
SAMPLES = "samples.png"
#: Sample images per class in the picture, and the side of each thumbnail (pixels).
PER_CLASS = 8
THUMB = 64
#: Distinct sizes listed in the figures (the most common first).
SIZES_LISTED = 10


def image_figures(ctx: Context, dataset_dict: datasets.DatasetDict, hub: Path) -> dict[str, Any]:
    """Per split: image modes and sizes (counts, from the `mode`, `width` and `height` columns
    when published); and `samples.png` written into `hub`."""
    task = ctx.recipe.task
    figures: dict[str, Any] = {"splits": {}}
    for split, dataset in dataset_dict.items():
        table = dataset.data.table
        entry: dict[str, Any] = {"rows": dataset.num_rows}
        if "mode" in table.column_names:
            entry["modes"] = dict(sorted(Counter(table.column("mode").to_pylist()).items()))
        if "width" in table.column_names and "height" in table.column_names:
            sizes = Counter(f"{w}x{h}" for w, h in zip(table.column("width").to_pylist(),
                                                       table.column("height").to_pylist()))
            entry["sizes"] = dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))
                                  [:SIZES_LISTED])
            entry["distinct_sizes"] = len(sizes)
            widths = table.column("width").to_numpy()
            heights = table.column("height").to_numpy()
            if len(widths):
                entry["width"] = {"min": int(widths.min()), "max": int(widths.max())}
                entry["height"] = {"min": int(heights.min()), "max": int(heights.max())}
        figures["splits"][split] = entry
    first = "train" if "train" in dataset_dict else next(iter(dataset_dict), None)
    if first is not None and task.image:
        picked = sample_images(dataset_dict[first], task.image, task.label, len(task.classes))
        (hub / SAMPLES).write_bytes(sample_grid(picked, task.classes))
        figures["samples"] = SAMPLES
        figures["samples_split"] = first
    return figures


def sample_images(dataset: datasets.Dataset, image: str, label: str,
                  classes: int) -> list[list[bytes]]:
    """Up to `PER_CLASS` encoded images per class, the first of each class in the split's
    order (which is the same in every build)."""
    import pyarrow.compute as pc

    table = dataset.data.table
    labels = table.column(label)
    picked: list[list[bytes]] = []
    for code in range(classes):
        rows = pc.indices_nonzero(pc.equal(labels, code)).to_numpy()[:PER_CLASS]
        images = table.column(image).take(rows).to_pylist()
        picked.append([value["bytes"] for value in images if value and value.get("bytes")])
    return picked


def sample_grid(picked: list[list[bytes]], names: list[str]) -> bytes:
    """One row per class: its name, then its sample thumbnails; a PNG."""
    from PIL import Image, ImageDraw

    label_width = 8 + 7 * max((len(n) for n in names), default=1)
    pad = 4
    width = label_width + PER_CLASS * (THUMB + pad) + pad
    height = max(1, len(names)) * (THUMB + pad) + pad
    grid = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(grid)
    for row, (name, images) in enumerate(zip(names, picked)):
        top = pad + row * (THUMB + pad)
        draw.text((pad, top + THUMB // 2 - 6), name, fill="black")
        for column, data in enumerate(images):
            with Image.open(io.BytesIO(data)) as image:
                thumb = image.convert("RGB")
                thumb.thumbnail((THUMB, THUMB), Image.Resampling.NEAREST
                                if max(thumb.size) < THUMB else Image.Resampling.LANCZOS)
                if max(thumb.size) < THUMB:  # small images are enlarged, pixels kept sharp
                    scale = THUMB // max(thumb.size)
                    thumb = thumb.resize((thumb.width * scale, thumb.height * scale),
                                         Image.Resampling.NEAREST)
            left = label_width + column * (THUMB + pad)
            grid.paste(thumb, (left + (THUMB - thumb.width) // 2,
                               top + (THUMB - thumb.height) // 2))
    out = io.BytesIO()
    grid.save(out, format="PNG")
    return out.getvalue()
