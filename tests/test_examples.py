"""Every example recipe composes, validates and builds into a loadable dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.pipeline import runner
from builder.recipe.compose import load
from tests.conftest import REPO

RECIPES = sorted(p.stem for p in (REPO / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_validates(name: str) -> None:
    composed = load(name, REPO)
    assert composed.recipe.name == name


@pytest.mark.slow
@pytest.mark.parametrize("name", RECIPES)
def test_example_builds_and_loads_offline(example_project, name: str, monkeypatch) -> None:
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ctx = runner.build(name, example_project.root, progress=False)
    hub = ctx.artifact("hub")
    loaded = datasets.load_dataset(str(hub))
    saved = datasets.load_from_disk(str(ctx.artifact("dataset")))
    assert list(loaded) == list(ctx.recipe.split.fractions)
    for split in loaded:
        assert loaded[split].num_rows == saved[split].num_rows > 0
        label = loaded[split].features[ctx.recipe.task.label]
        assert isinstance(label, datasets.ClassLabel)
        assert label.names == ctx.recipe.task.classes
    assert Path(ctx.artifact("README.md")).read_text().startswith("---\n")
