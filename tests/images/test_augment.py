"""The `augment` balance strategy: an image class over-sampled with seeded augmentations, the
copies `_origin: augmented` in train only, new pictures that are no near copy of an evaluation
image, the same bytes in every build."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from builder.errors import FlywheelError
from builder.images.hashing import hamming, perceptual_hashes
from builder.partitions import read_artifact
from tests.images.conftest import png, write
from tests.images.test_pipeline import build

RECIPE = """
defaults: [base, _self_]
name: pics
seed: 5
task: {type: image-classification, image: image, label: label, classes: [cat, dog]}
sources:
  pics: {type: imagefolder, path: imgs}
split: {fractions: {train: 0.7, validation: null, test: 0.3}}
balance:
  target: balanced
  strategy: augment
  augment: {flip: true, crop: 0.8, rotate: 20, color_jitter: 0.3, near_copy_bits: 6}
"""


@pytest.fixture
def uneven(project):
    root = project.root / "imgs"
    for i in range(24):
        write(root / "cat" / f"{i:02d}.png", png(300 + i, size=24))
    for i in range(8):
        write(root / "dog" / f"{i:02d}.png", png(400 + i, size=24))
    project.recipe("pics", RECIPE)
    return root


def test_augmented_copies_are_new_train_pictures(uneven, project):
    build(project)
    rows = read_artifact(project.data("pics") / "augmented")
    made = rows[rows["_origin"] == "augmented"]
    real = rows[rows["_origin"] == "real"].set_index("_id")
    train = rows[rows["split"] == "train"]
    assert len(made) > 0 and set(made["split"]) == {"train"} and set(made["label"]) == {"dog"}
    counts = train["label"].value_counts()
    assert counts["cat"] == counts["dog"]
    for _, row in made.iterrows():
        source = row["_id"].rsplit("+", 1)[0]
        assert source in real.index and real.loc[source, "split"] == "train"
        assert row["image"] != real.loc[source, "image"]  # a new picture ...
        assert (row["width"], row["height"], row["mode"]) == (24, 24, "RGB")  # ... of its size
    held_out = perceptual_hashes(rows.loc[rows["split"] != "train", "image"].tolist())
    for h in perceptual_hashes(made["image"].tolist()):
        assert hamming(np.full(len(held_out), h), held_out).min() > 6
    import datasets

    loaded = datasets.load_dataset(str(project.data("pics") / "hub"))
    assert loaded["train"].to_pandas()["_origin"].value_counts()["augmented"] == len(made)


def test_augmentations_are_seeded(uneven, project):
    build(project)
    shard = project.data("pics") / "hub" / "data" / "train-00000-of-00001.parquet"
    first = hashlib.sha256(shard.read_bytes()).hexdigest()
    build(project)
    assert hashlib.sha256(shard.read_bytes()).hexdigest() == first
    build(project, "seed=6")
    assert hashlib.sha256(shard.read_bytes()).hexdigest() != first


def test_augment_in_a_text_task_is_a_recipe_error(project):
    project.write("d.csv", "text,label\na,x\nb,y\n")
    project.recipe("t", """
        defaults: [base, _self_]
        name: t
        task: {type: text-classification, text: text, label: label, classes: [x, y]}
        sources: {d: {type: csv, path: d.csv}}
        balance: {target: balanced, strategy: augment, augment: {crop: 1.5}}
    """)
    from builder.recipe.compose import load

    with pytest.raises(FlywheelError) as error:
        load("t", project.root)
    assert "balance.strategy: is 'augment', which makes new pictures" in str(error.value)
    assert "balance.augment.crop: found 1.5" in str(error.value)
