"""Model-assisted labels for images: `labeling.pseudo.encoder: {type: image, model}` with a
tiny random ViT (transformers) and a tiny random CLIP (sentence-transformers), saved with
save_pretrained; embeddings cached by image hash. Only the wiring is checked: no real image
model is reachable here."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from builder.errors import FlywheelError
from builder.partitions import read_artifact
from tests.images.conftest import write
from tests.images.models import tiny_clip, tiny_vit
from tests.images.test_pipeline import build

pytestmark = pytest.mark.slow


def shade(level: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(level, 12, (16, 16, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    return {"vit": tiny_vit(base / "vit"), "clip": tiny_clip(base / "clip")}


def recipe(model) -> str:
    return f"""
defaults: [base, _self_]
name: pics
seed: 2
task: {{type: image-classification, image: image, label: label, classes: [dark, light]}}
sources:
  known: {{type: imagefolder, path: known}}
  unknown: {{type: imagefolder, path: unknown, labels: none}}
labeling:
  unlabeled: pseudo
  pseudo: {{encoder: {{type: image, model: "{model}", batch_size: 8}}, min_confidence: 0.0,
           folds: 2}}
split: {{fractions: {{train: 0.5, validation: null, test: 0.5}}}}
"""


@pytest.fixture
def shades(project):
    for i in range(16):
        write(project.root / "known" / "dark" / f"{i}.png", shade(40, i))
        write(project.root / "known" / "light" / f"{i}.png", shade(210, 100 + i))
    for i in range(8):
        write(project.root / "unknown" / f"d{i}.png", shade(45, 200 + i))
        write(project.root / "unknown" / f"l{i}.png", shade(205, 300 + i))
    return project


@pytest.mark.parametrize("kind", ["vit", "clip"])
def test_pseudo_labels_from_image_embeddings(shades, models, kind):
    project = shades
    project.recipe("pics", recipe(models[kind]))
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled")
    unknown = labeled[labeled["_source"] == "unknown"].set_index("file")
    assert len(unknown) == 16 and set(unknown["label_source"]) == {"pseudo"}
    right = sum(unknown.loc[f"{c}{i}.png", "label"] == ("dark" if c == "d" else "light")
                for c in "dl" for i in range(8))
    assert right >= 12  # brightness passes through even a random patch embedding
    cache = project.root / ".cache" / "embeddings"
    shards = list(cache.rglob("*")) if cache.exists() else []
    assert any(p.is_file() for p in shards)  # embeddings cached by image hash
    first = read_artifact(project.data("pics") / "labeled")["label"].tolist()
    build(project)  # a rebuild reads the cache and gives the same labels
    assert read_artifact(project.data("pics") / "labeled")["label"].tolist() == first


def test_a_text_encoder_in_an_image_task_is_a_recipe_error(shades):
    from builder.recipe.compose import load

    shades.recipe("pics", recipe("x").replace('{type: image, model: "x", batch_size: 8}',
                                              "tfidf"))
    with pytest.raises(FlywheelError, match=r"labeling.pseudo.encoder: is 'tfidf', a text "
                                            r"encoder, in an image-classification task"):
        load("pics", shades.root)


def test_label_error_check_on_image_embeddings(shades, models):
    """A light image filed under `dark` is flagged by confident learning on the embeddings."""
    project = shades
    write(project.root / "known" / "dark" / "misfiled.png", shade(215, 999))
    project.recipe("pics", recipe(models["vit"]).replace(
        "  unlabeled: pseudo\n", "  unlabeled: pseudo\n  label_errors: {action: flag}\n"))
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled").set_index("file")
    assert bool(labeled.loc["dark/misfiled.png", "suspect_label"])
    assert labeled.loc[[f"dark/{i}.png" for i in range(16)], "suspect_label"].sum() <= 2


def test_zero_shot_clip_labeling_function(shades, models):
    """`type: zero_shot` votes with the CLIP model's image-prompt similarities (a random model:
    only the wiring is checked, every vote is a class or an abstention)."""
    project = shades
    project.recipe("pics", f"""
defaults: [base, _self_]
name: pics
task: {{type: image-classification, image: image, label: label, classes: [dark, light]}}
sources:
  unknown: {{type: imagefolder, path: unknown, labels: none}}
labeling:
  functions:
    clip: {{type: zero_shot, model: "{models['clip']}", prompt: "a {{}} picture", min_score: 0.0}}
  model: {{type: majority}}
split: {{fractions: {{train: 0.5, validation: null, test: 0.5}}}}
""")
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled")
    assert len(labeled) == 16 and set(labeled["label"]) <= {"dark", "light"}
    assert set(labeled["label_source"]) == {"weak"}
    import json

    metrics = json.loads((project.data("pics") / "metrics" / "label.json").read_text())
    assert "clip" in json.dumps(metrics)


def test_zero_shot_needs_a_class_placeholder(shades, models):
    from builder.recipe.compose import load

    shades.recipe("pics", recipe(models["vit"]).replace(
        "  unlabeled: pseudo\n",
        f"  unlabeled: pseudo\n  functions:\n    clip: {{type: zero_shot, model: \"{models['clip']}\", "
        "prompt: \"a picture\", label: dark}\n"))
    with pytest.raises(FlywheelError) as error:
        load("pics", shades.root)
    assert "labeling.functions.clip.prompt: found 'a picture'" in str(error.value)
    assert "labeling.functions.clip.label: is set" in str(error.value)
