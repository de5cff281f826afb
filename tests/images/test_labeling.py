"""Labels for images: python labeling functions over image statistics, expressions over image
metadata, manifests' label columns, and the label store (see test_review_tools.py)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from builder.partitions import read_artifact
from tests.images.conftest import write
from tests.images.test_pipeline import build

FUNCTIONS = '''
from builder.images.stats import image_stats


def dark(batch):
    return image_stats(batch["image"])["brightness"] < 100
'''


def flat(level: int, size: int) -> bytes:
    out = io.BytesIO()
    rng = np.random.default_rng(level)
    pixels = np.clip(rng.normal(level, 10, (size, size)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels, "L").save(out, format="PNG")
    return out.getvalue()


def test_python_functions_over_image_statistics_and_expressions_over_metadata(project):
    root = project.root / "imgs"
    for i in range(12):
        write(root / f"night-{i}.png", flat(30 + i, 16))
        write(root / f"day-{i}.png", flat(200 + i, 16 if i < 10 else 40))
    project.write("funcs.py", FUNCTIONS)
    project.recipe("pics", """
        defaults: [base, _self_]
        name: pics
        task: {type: image-classification, image: image, label: label, classes: [night, day]}
        sources:
          pics: {type: imagefolder, path: imgs, labels: none}
        labeling:
          functions:
            dark: {type: python, function: "funcs:dark", label: night}
            bright: {type: expression, expression: "width >= 32", label: day}
          model: {type: majority}
        split: {fractions: {train: 0.5, validation: null, test: 0.5}}
    """)
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled").set_index("file")
    assert (labeled.loc[[f"night-{i}.png" for i in range(12)], "label"] == "night").all()
    assert (labeled.loc[["day-10.png", "day-11.png"], "label"] == "day").all()
    assert set(labeled["label_source"]) == {"weak"}
    assert "day-3.png" not in labeled.index  # no function voted: dropped (unlabeled: drop)
