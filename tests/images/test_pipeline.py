"""An image-classification task through every stage: Image feature, load_dataset round trip,
stable splits, provenance, byte-identical rebuilds; recipe errors for text-only options."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from builder.pipeline import runner
from builder.errors import FlywheelError
from tests.images.conftest import near_copy, png, write

RECIPE = """
defaults: [base, _self_]
name: pics
seed: 3
task: {type: image-classification, image: image, label: label, classes: [cat, dog]}
sources:
  pics: {type: imagefolder, path: imgs}
transforms:
  unique: {type: dedup_images, threshold: 8}
split: {fractions: {train: 0.6, validation: null, test: 0.4}}
"""


@pytest.fixture
def pictures(project):
    root = project.root / "imgs"
    for c, name in enumerate(["cat", "dog"]):
        for i in range(20):
            write(root / name / f"{i:02d}.png", png(100 * c + i))
    write(root / "dog" / "near.png", near_copy((root / "cat" / "03.png").read_bytes()))
    write(root / "cat" / "broken.png", b"\x89PNG broken")
    project.recipe("pics", RECIPE)
    return root


def build(project, *overrides):
    from builder.pipeline.runner import build as run

    return run("pics", project.root, list(overrides), progress=False)


def digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_builds_an_image_dataset_that_loads_back(pictures, project):
    import datasets
    from PIL import Image

    build(project)
    hub = project.data("pics") / "hub"
    loaded = datasets.load_dataset(str(hub))
    assert set(loaded) == {"train", "test"}
    features = loaded["train"].features
    assert isinstance(features["image"], datasets.Image)
    assert features["label"].names == ["cat", "dog"]
    assert sum(len(s) for s in loaded.values()) == 40  # the near copy and the broken file dropped
    row = loaded["train"][0]
    assert isinstance(row["image"], Image.Image) and row["image"].size == (16, 16)
    assert row["_origin"] == "real" and row["_source"] == "pics"
    by_file = {r["file"]: r for s in loaded.values() for r in s}
    assert by_file["cat/05.png"]["image"].tobytes() == \
        Image.open(pictures / "cat" / "05.png").tobytes()
    assert by_file["dog/07.png"]["label"] == 1
    saved = datasets.load_from_disk(str(project.data("pics") / "dataset"))
    assert isinstance(saved["test"].features["image"], datasets.Image)
    card = (hub / "README.md").read_text()
    assert "image-classification" in card


def test_rebuild_is_byte_identical_and_splits_are_stable(pictures, project):
    build(project)
    first = digest(project.data("pics") / "hub")
    import shutil

    shutil.rmtree(project.data("pics"))
    build(project)
    assert digest(project.data("pics") / "hub") == first


def test_text_only_options_are_recipe_errors(pictures, project):
    project.recipe("pics", RECIPE + textwrap.dedent("""
        balance: {target: {counts: {cat: 30, dog: 30}}, strategy: smote}
        labeling:
          functions:
            meow: {type: keyword, words: [meow], label: cat, column: file}
    """))
    with pytest.raises(FlywheelError) as error:
        runner.compose_stage("pics", project.root)
    message = str(error.value)
    assert "balance.strategy: is 'smote'" in message
    assert "labeling.functions.meow.type: is 'keyword'" in message


def test_image_task_needs_its_image_column(pictures, project):
    project.recipe("pics", RECIPE.replace("image: image, ", ""))
    with pytest.raises(FlywheelError, match=r"task.image: is missing"):
        runner.compose_stage("pics", project.root)
